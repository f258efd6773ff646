"""Runtime configuration read from the environment, with documented defaults.

Pure module (no Django import) so that CLI helpers and the functional core can use it.
Every variable is listed in the README's configuration table.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import sys
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value not in (None, "") else default


def private_dir(path: Path) -> Path:
    """`path` as a directory only its owner can open (0700): created so, tightened if open."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    if stat.S_IMODE(path.stat().st_mode) & 0o077:
        with contextlib.suppress(PermissionError):  # not ours to change: the operator decides
            path.chmod(0o700)
    return path


def var_dir() -> Path:
    """Where generated state lives (secrets, SQLite, media), 0700. Test runs get their own folder."""
    default = BASE_DIR / "var" / "test" if "pytest" in sys.modules else BASE_DIR / "var"
    return private_dir(Path(env("INKSEAL_VAR_DIR", str(default))))


def secret_file(name: str, nbytes: int = 32) -> str:
    """Return a secret kept in var/secrets/<name>, generating it (0600) on first use."""
    directory = private_dir(var_dir() / "secrets")
    path = directory / name
    if not path.exists():
        value = secrets.token_urlsafe(nbytes)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(value)
        os.replace(tmp, path)
    return path.read_text().strip()


def object_storage() -> dict[str, object] | None:
    """Django's default file storage on an S3-compatible object store when INKSEAL_S3_BUCKET is set
    (django-storages' S3Storage: MinIO, Ceph RGW, Alibaba OSS, Tencent COS, AWS S3); None keeps
    the local directory. Credentials: INKSEAL_S3_ACCESS_KEY_ID / INKSEAL_S3_SECRET_ACCESS_KEY, or
    boto3's own chain (AWS_* variables, an instance role) when they are unset."""
    bucket = env("INKSEAL_S3_BUCKET")
    if not bucket:
        return None
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": env("INKSEAL_S3_ENDPOINT_URL") or None,
            "region_name": env("INKSEAL_S3_REGION") or None,
            "access_key": env("INKSEAL_S3_ACCESS_KEY_ID") or None,
            "secret_key": env("INKSEAL_S3_SECRET_ACCESS_KEY") or None,
            "location": env("INKSEAL_S3_PREFIX").strip("/"),
            # path-style URLs work on every S3-compatible server; virtual-host style needs DNS per bucket
            "addressing_style": env("INKSEAL_S3_ADDRESSING_STYLE", "path"),
            "signature_version": "s3v4",
            "default_acl": None,  # the bucket's own policy: private
            "querystring_auth": True,  # a URL of a file, if ever made, is signed and expires
            "file_overwrite": False,  # a name taken gets a suffix, as on disk
        },
    }
