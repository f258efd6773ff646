"""Form fields as the signer saw them: appearances drawn before the first signature.

A form with /NeedAppearances true leaves drawing its fields to the viewer: the file holds the
values ("Alice") but empty or missing appearance streams. Signing must not keep that flag (a
viewer would then redraw fields of a signed document as it likes, and pyHanko drops it), and
dropping it alone makes the values vanish from every viewer while the signature still verifies:
the file would no longer show what the signer approved.

So before the first signature the fields are drawn for good, by the engine our confirm page
previews with: PDFium opens the document with its form layer, which (re)generates the appearance
of every widget as it shows it; a copy saved by PDFium hands those streams over, and they are
written into the first revision, which every seal of the call covers. The result shows, in
every viewer, exactly what the preview showed. PDFium keeps object numbers when it saves, so a
widget is found again by its number.

Refused (`pdf_form_appearance_unavailable`, 422) rather than signed showing something else: a
field whose value is formatted by JavaScript (Acrobat shows "1,234.50" for 1234.5; PDFium, like
us, runs no scripts) or held as rich text (/RV), and a widget PDFium's copy does not match.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError as PyHankoPdfError
from pyhanko.pdf_utils.reader import PdfFileReader

from inkseal.signing.core.errors import FormAppearanceUnavailable
from inkseal.signing.core.pdfdict import lookup
from inkseal.signing.core.pdfium_lock import serialised

MAX_FIELD_DEPTH = 32  # field trees nest a few levels; deeper is a hostile or broken file


def needs_appearances(writer: IncrementalPdfFileWriter) -> bool:
    flag = lookup(lookup(writer.root, "/AcroForm"), "/NeedAppearances")
    return isinstance(flag, generic.BooleanObject) and bool(flag.value)


def check_form_drawable(writer: IncrementalPdfFileWriter) -> None:
    """Refuse now (at upload) what `draw_form_fields` would refuse when signing."""
    if needs_appearances(writer):
        for _ in _value_widgets(writer):
            pass


def draw_form_fields(
    writer: IncrementalPdfFileWriter, stream: BinaryIO, password: str | None, *, signed: bool = False
) -> int:
    """Give the non-signature widgets the appearance PDFium draws for them; return how many changed.

    Does nothing unless the form asks viewers to draw its fields (/NeedAppearances true). In a
    document already signed, only widgets that show nothing of their value are drawn (no
    appearance, or a text or choice field whose appearance shows no text): redrawing the others
    would change, after those signatures, appearances their signers saw, which validators rightly
    flag (a radio button's new look is not form filling).
    """
    if not needs_appearances(writer):
        return 0
    widgets = [w for w in _value_widgets(writer) if not signed or _shows_nothing(w)]
    if not widgets:
        return 0
    drawn = PdfFileReader(io.BytesIO(_drawn_by_pdfium(stream, password)), strict=False)
    existing = int(writer.prev.trailer["/Size"])
    for widget in widgets:
        ref, target = widget.ref, widget.ref.get_object()
        twin = _twin(drawn, ref)
        if lookup(twin, "/Rect") != lookup(target, "/Rect"):
            raise FormAppearanceUnavailable(f"form field widget {ref.idnum} could not be drawn")
        appearance = lookup(twin, "/AP")
        if appearance is None:  # on no page: no viewer draws it
            continue
        target[pdf_name("/AP")] = _copy(writer, appearance, existing)
        state = lookup(twin, "/AS")
        if state is not None:
            target[pdf_name("/AS")] = state
        writer.mark_update(ref)
    return len(widgets)


@dataclass(frozen=True)
class _Widget:
    ref: generic.IndirectObject
    field_type: str | None
    value: generic.PdfObject | None


def _value_widgets(writer: IncrementalPdfFileWriter) -> Iterator[_Widget]:
    """Widgets of the form's non-signature fields (type and value are inherited down the tree)."""
    fields = lookup(lookup(writer.root, "/AcroForm"), "/Fields", generic.ArrayObject())
    seen: set[int] = set()
    pending = [(ref, None, None, 0) for ref in fields if isinstance(ref, generic.IndirectObject)]
    while pending:
        ref, inherited_type, inherited_value, depth = pending.pop()
        if ref.idnum in seen or depth > MAX_FIELD_DEPTH:
            continue
        seen.add(ref.idnum)
        node = ref.get_object()
        field_type = lookup(node, "/FT", inherited_type)
        value = lookup(node, "/V", inherited_value)
        if field_type != "/Sig":
            _refuse_undrawable(node)
        kids = lookup(node, "/Kids")
        if isinstance(kids, generic.ArrayObject):
            pending.extend(
                (kid, field_type, value, depth + 1) for kid in kids if isinstance(kid, generic.IndirectObject)
            )
        elif lookup(node, "/Subtype") == "/Widget" and field_type != "/Sig":
            yield _Widget(ref, field_type, value)


_SHOWS_TEXT = re.compile(rb"(?:Tj|TJ|'|\")\s*(?:$|[^A-Za-z])")


def _shows_nothing(widget: _Widget) -> bool:
    """No normal appearance at all, or a text/choice value the appearance does not show."""
    normal = lookup(lookup(widget.ref.get_object(), "/AP"), "/N")
    if normal is None:
        return True
    if widget.field_type not in ("/Tx", "/Ch") or not str(widget.value or "").strip("[] "):
        return False
    if not isinstance(normal, generic.StreamObject):
        return True
    return _SHOWS_TEXT.search(normal.data) is None


def _refuse_undrawable(node: generic.PdfObject) -> None:
    """Values a viewer shows through JavaScript (a format action: Acrobat shows "1,234.50" for
    1234.5) or as rich text (/RV) cannot be drawn here as they would be shown: refuse."""
    name = lookup(node, "/T", "")
    if lookup(lookup(node, "/AA"), "/F") is not None:
        raise FormAppearanceUnavailable(f"form field {name!s} is formatted by JavaScript", field=str(name))
    if lookup(node, "/RV") is not None:
        raise FormAppearanceUnavailable(f"form field {name!s} holds rich text", field=str(name))


@serialised
def _drawn_by_pdfium(stream: BinaryIO, password: str | None) -> bytes:
    """The document as PDFium's form layer shows it, saved unencrypted (a private, in-memory copy)."""
    stream.seek(0)
    try:
        document = pdfium.PdfDocument(stream, password=password)
    except pdfium.PdfiumError as exc:
        raise FormAppearanceUnavailable(f"PDFium cannot open the form: {exc}") from exc
    try:
        document.init_forms()
        for index in range(len(document)):  # loading a page draws its widgets
            document[index].close()
        out = io.BytesIO()
        document.save(out, flags=pdfium_c.FPDF_REMOVE_SECURITY)
        return out.getvalue()
    finally:
        document.close()


def _twin(drawn: PdfFileReader, ref: generic.IndirectObject) -> generic.PdfObject | None:
    try:
        return drawn.get_object(generic.Reference(ref.idnum, ref.generation))
    except (PyHankoPdfError, KeyError, ValueError, TypeError):
        return None


def _copy(writer: IncrementalPdfFileWriter, value: generic.PdfObject, existing: int) -> generic.PdfObject:
    """Deep copy from PDFium's copy: objects it added or may have changed (a resource dictionary
    it added a font to) become new objects; fonts and streams the document already had (those of
    the form's /DR) are shared with it, not duplicated."""
    copies: dict[int, generic.IndirectObject] = {}

    def copy(item: generic.PdfObject) -> generic.PdfObject:
        if isinstance(item, generic.IndirectObject):
            if item.idnum < existing and _shared(item.get_object()):
                return generic.IndirectObject(item.idnum, item.generation, writer)
            if item.idnum not in copies:
                copies[item.idnum] = writer.allocate_placeholder()
                writer.add_object(copy(item.get_object()), idnum=copies[item.idnum].idnum)
            return copies[item.idnum]
        if isinstance(item, generic.StreamObject):
            header = generic.DictionaryObject({k: copy(v) for k, v in item.items() if k != "/Length"})
            return generic.StreamObject(header, encoded_data=item.encoded_data)
        if isinstance(item, generic.DictionaryObject):
            return generic.DictionaryObject({k: copy(v) for k, v in item.items()})
        if isinstance(item, generic.ArrayObject):
            return generic.ArrayObject([copy(v) for v in item])
        return item

    return copy(value)


def _shared(value: generic.PdfObject) -> bool:
    """Objects PDFium reads but never changes when it draws fields: fonts and streams."""
    if isinstance(value, generic.StreamObject):
        return True
    return lookup(value, "/Type") in ("/Font", "/FontDescriptor")
