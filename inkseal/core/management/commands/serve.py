from __future__ import annotations

import os
import sys
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from inkseal.core.sandbox import check_production_start

ACCESS_LOG_FORMAT = '%(h)s %(t)s "%(m)s %(U)s" %(s)s %(b)s %(L)ss'


def default_workers() -> int:
    """Two worker processes per core, each with THREADS threads. Measured with
    bench/signing_http_bench.py on 2 cores: 4 workers x 2 threads sign about a quarter more per
    second than 2 x 4, whose threads mostly wait for each other's interpreter lock."""
    return int(os.environ.get("INKSEAL_WORKERS") or 2 * (os.cpu_count() or 1))


THREADS = 2


def gunicorn_argv(bind: str, workers: int, threads: int, app: str = "inkseal.wsgi:application") -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        app,
        # Worker hooks: each worker loads the OCR engine before its first request.
        "--config",
        "python:inkseal.core.warmup",
        "--bind",
        bind,
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        # A worker takes no more connections than it can serve at once (gthread would accept up
        # to 1,000 and queue them behind busy threads; the others then wait in the listen queue,
        # where any free worker takes them): with the parse slots (PDF_PARSE_CONCURRENCY), a
        # worker whose threads wait on parsers stops taking /healthz and light pages.
        "--worker-connections",
        os.environ.get("INKSEAL_WORKER_CONNECTIONS") or str(threads),
        "--no-control-socket",
        "--timeout",
        "120",
        "--access-logfile",
        "-",
        # Path only: query strings can carry one-time tickets and codes; secrets in paths
        # (confirmation and face hand-off links) are redacted by the logger class.
        "--access-logformat",
        ACCESS_LOG_FORMAT,
        "--logger-class",
        "inkseal.core.logredact.GunicornLogger",
    ]


def proxy_protocol_argv() -> list[str]:
    """Behind a load balancer every request comes from its address, so per-IP limits (SMS, 验签)
    would count all clients as one: with INKSEAL_PROXY_PROTOCOL=1 gunicorn reads the client's
    address from the balancer's PROXY protocol header (HAProxy `send-proxy-v2`), accepted only
    from INKSEAL_PROXY_ALLOW_FROM (default loopback: the balancer's addresses)."""
    if os.environ.get("INKSEAL_PROXY_PROTOCOL", "").lower() not in {"1", "true", "yes", "on"}:
        return []
    allowed = os.environ.get("INKSEAL_PROXY_ALLOW_FROM") or "127.0.0.1,::1"
    return ["--proxy-protocol", "v2", "--proxy-allow-from", allowed]


class Command(BaseCommand):
    help = "Serve Inkseal with gunicorn (production-style) or Django's development server (--dev)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=os.environ.get("INKSEAL_BIND", "127.0.0.1:8000"))
        parser.add_argument("--workers", type=int, default=default_workers())
        parser.add_argument("--threads", type=int, default=int(os.environ.get("INKSEAL_THREADS") or THREADS))
        parser.add_argument("--dev", action="store_true", help="Django's autoreloading development server")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["dev"]:
            from django.core.management import call_command

            call_command("runserver", options["bind"])
            return
        try:
            check_production_start()
        except ImproperlyConfigured as refused:
            raise CommandError(str(refused)) from None
        static_root = str(settings.STATIC_ROOT)
        self.stdout.write(f"Inkseal on http://{options['bind']} (static files from {static_root})")
        argv = gunicorn_argv(options["bind"], options["workers"], options["threads"])
        argv += proxy_protocol_argv()
        # parses at once per worker: one thread fewer than it has, so one is always left for
        # light requests while hostile PDFs keep the parsers busy (docs/THREAT_MODEL.md)
        os.environ.setdefault("INKSEAL_PDF_PARSE_CONCURRENCY", str(max(1, options["threads"] - 1)))
        os.execv(sys.executable, argv)
