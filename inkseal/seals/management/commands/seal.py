"""`inkseal seal render`: draw a template seal to a PNG (or SVG) file, without the database."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from inkseal.seals.image_errors import SealImageError
from inkseal.seals.render import render_png, render_svg
from inkseal.seals.render_spec import SealKind, SealSpec

KIND_LABELS = [kind.label_zh for kind in SealKind]


class Command(BaseCommand):
    help = "Seal tools. `seal render` draws a template seal to a .png or .svg file (no database access)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        render = actions.add_parser("render", help="draw a template seal")
        render.add_argument("--kind", required=True, help=f"{'|'.join(KIND_LABELS)} (or the codes: official, …)")
        render.add_argument("--name", required=True, help="enterprise or person name on the seal")
        render.add_argument("--lower-text", default=None, help="下弦文 along the lower arc (round seals)")
        render.add_argument("--color", default="red", help="red (default), blue or black")
        render.add_argument("--size-mm", type=float, default=None, help="diameter / side / strip height in mm")
        render.add_argument("--border", default="single", choices=["single", "double"])
        render.add_argument("--texture", action="store_true", help="slight ink texture")
        render.add_argument("--out", required=True, help="output file: .png, or .svg for a vector seal")

    def handle(self, *args: Any, **options: Any) -> None:
        out = Path(options["out"])
        try:
            spec = SealSpec(
                options["kind"],
                options["name"],
                lower_text=options["lower_text"],
                color=options["color"],
                size_mm=options["size_mm"],
                border=options["border"],
                texture=options["texture"],
            )
            data = render_svg(spec).encode() if out.suffix.lower() == ".svg" else render_png(spec)
        except SealImageError as error:
            raise CommandError(f"{error.localised(keep_detail=False).message} [{error.code}]")
        _write_atomically(out, data)
        self.stdout.write(f"{out} ({SealKind.parse(spec.kind).label_zh}, {len(data)} bytes)")


def _write_atomically(path: Path, data: bytes) -> None:
    directory = path.parent if str(path.parent) else Path(".")
    if not directory.is_dir():
        raise CommandError(f"{directory} is not a directory")
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
