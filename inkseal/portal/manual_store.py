"""The user manual PDF on disk: rendered from docs/user-manual.zh.md once, then served from var/manual/.

The file name carries a hash of everything the PDF is made from (the Markdown, the images it
names, the renderer's source and fpdf2's version), so editing the manual or a screenshot makes the next
request render a new file; older ones are removed. Files are written atomically, so two workers
rendering at once cannot serve a half-written PDF.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass
from pathlib import Path

import fpdf
from django.conf import settings

from inkseal.portal import manual, manual_markdown, manual_pdf
from inkseal.portal.manual import render_manual
from inkseal.portal.manual_markdown import Image, parse_markdown

DOWNLOAD_NAME = "Inkseal用户手册.pdf"
ASCII_DOWNLOAD_NAME = "Inkseal-user-manual.pdf"

_render_lock = threading.Lock()


@dataclass(frozen=True)
class BuiltManual:
    path: Path
    version: str  # also the ETag


def manual_source() -> Path:
    return Path(settings.BASE_DIR) / "docs" / "user-manual.zh.md"


def cache_dir() -> Path:
    return Path(settings.VAR_DIR) / "manual"


def build_manual(source: Path | None = None, directory: Path | None = None) -> BuiltManual:
    """The current manual PDF, rendering it first when the source changed since the last build."""
    source = source or manual_source()
    directory = directory or cache_dir()
    markdown = source.read_text(encoding="utf-8")
    version = source_version(markdown, source.parent)
    path = directory / f"user-manual-{version}.pdf"
    if path.is_file():
        return BuiltManual(path, version)
    with _render_lock:
        if not path.is_file():
            data = render_manual(markdown, base_dir=source.parent)
            directory.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, path)
            for old in directory.glob("user-manual-*.pdf"):
                if old != path:
                    old.unlink(missing_ok=True)
    return BuiltManual(path, version)


def source_version(markdown: str, base_dir: Path) -> str:
    digest = hashlib.sha256()
    for module in (manual, manual_markdown, manual_pdf):  # the typesetting code is part of the version
        digest.update(Path(module.__file__ or "").read_bytes())
    digest.update(f"|{fpdf.__version__}|".encode())
    digest.update(markdown.encode())
    for block in parse_markdown(markdown):
        if isinstance(block, Image):
            image = base_dir / block.path
            stat = image.stat() if image.is_file() else None
            digest.update(f"|{block.path}:{stat.st_size if stat else -1}:{stat.st_mtime_ns if stat else 0}".encode())
    return digest.hexdigest()[:16]
