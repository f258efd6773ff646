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
