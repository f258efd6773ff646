"""moto's S3 server mode for tests and benchmarks: a real S3 HTTP endpoint on loopback, the only
S3-compatible server installable here from the package registries (moto[server], a dev
dependency). Production uses MinIO, Ceph RGW, OSS, COS or S3 (docs/scaling.md)."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
REGION = "us-east-1"


def s3_client(endpoint: str) -> Any:
    import boto3

    return boto3.client("s3", endpoint_url=endpoint, region_name=REGION, **CREDENTIALS)


def storage_env(endpoint: str, bucket: str, prefix: str = "") -> dict[str, str]:
    """The INKSEAL_S3_* settings of a node using this server's `bucket`."""
    return {
        "INKSEAL_S3_BUCKET": bucket,
        "INKSEAL_S3_ENDPOINT_URL": endpoint,
        "INKSEAL_S3_REGION": REGION,
        "INKSEAL_S3_PREFIX": prefix,
        "INKSEAL_S3_ACCESS_KEY_ID": CREDENTIALS["aws_access_key_id"],
        "INKSEAL_S3_SECRET_ACCESS_KEY": CREDENTIALS["aws_secret_access_key"],
    }


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def moto_s3(log_path: Path, bucket: str) -> Iterator[str]:
    """moto_server on a free loopback port with an empty `bucket`; its endpoint URL."""
    import requests

    port = _free_port()
    binary = shutil.which("moto_server", path=str(Path(sys.executable).parent)) or shutil.which("moto_server")
    command = [binary] if binary else [sys.executable, "-m", "moto.server"]
    log = log_path.open("wb")
    server = subprocess.Popen([*command, "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT)
    endpoint = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                requests.get(f"{endpoint}/moto-api/", timeout=2)
                break
            except requests.RequestException:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"moto_server did not start, see {log_path}") from None
                time.sleep(0.2)
        s3_client(endpoint).create_bucket(Bucket=bucket)
        yield endpoint
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()
