"""Secrets carried in URL paths never reach a log.

A sign-confirmation link (/sign/confirm/<token>, its API twin /api/v1/confirm/<token>; a sign
flow signer's /sign/flow/<token> and /api/v1/flow-confirm/<token>) and the
face-verification hand-off (/h5/face/<token>) and the authorised person's confirmation link
(/authorisations/confirm/<token>) are bearer secrets: whoever reads one can act on
it. Access logs and Django's request logs write paths, so every log record is passed through
`RedactSecretsFilter`, which replaces the secret segment wherever it appears (path, request line,
full URL in a Referer, traceback) with REDACTED.

Pure module (no Django import): loaded by the logging configuration and by gunicorn's logger
class (`inkseal serve` passes `--logger-class inkseal.core.logredact.GunicornLogger`).
"""

from __future__ import annotations

import functools
import logging
import re
from typing import Any

# Every route whose path holds a secret. tests/core/test_log_redaction.py checks that each URL
# pattern with a `token` parameter is covered.
SECRET_PATH_PREFIXES = (
    "/sign/confirm/",
    "/sign/flow/",
    "/api/v1/confirm/",
    "/api/v1/flow-confirm/",
    "/h5/face/",
    "/authorisations/confirm/",
)
REDACTED = "[redacted]"
_SECRET_SEGMENT = re.compile("(" + "|".join(re.escape(prefix) for prefix in SECRET_PATH_PREFIXES) + r")[^/?#\s\"'<>]+")


def redact(text: str) -> str:
    """`text` with the secret segment of every secret-bearing path replaced."""
    return _SECRET_SEGMENT.sub(r"\1" + REDACTED, text)


class RedactSecretsFilter(logging.Filter):
    """Freezes each record's message with secrets redacted (its arguments are dropped, as they
    hold the path), and its traceback too, before any handler formats it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it to the handler's error reporting
            return True
        record.msg, record.args = redact(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def __getattr__(name: str) -> Any:
    """`GunicornLogger`, the class `inkseal serve` names, is built on first use: gunicorn's logging
    module is not loaded by every process that configures logging (a CLI command too)."""
    if name == "GunicornLogger":
        return _gunicorn_logger()
    raise AttributeError(name)


@functools.cache
def _gunicorn_logger() -> type:
    from gunicorn.glogging import Logger as GunicornBaseLogger

    class GunicornLogger(GunicornBaseLogger):  # type: ignore[misc]
        """gunicorn's logger with secrets redacted from its access and error logs."""

        def setup(self, cfg: Any) -> None:
            super().setup(cfg)
            for logger in (self.error_log, self.access_log):
                if not any(isinstance(f, RedactSecretsFilter) for f in logger.filters):
                    logger.addFilter(RedactSecretsFilter())

    return GunicornLogger
