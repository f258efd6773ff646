"""Signature form fields, their widget annotations, and cross-page stamp annotations.

All the fields of one `sign_pdf` call are created in its first revision (the one its first
signature covers), empty and without appearance; each signature then fills its own field and
gives its widget its seal appearance. Filling a pre-existing empty field is "signing" in
DocMDP terms, so a first certification signature (P=2) stays valid under the strictest
validators, which refuse new visible fields after a certification.

The other slices of a cross-page seal are stamp annotations (print, read-only, locked) with
their appearance, also written in the first revision: every signature of the call covers
them, and no later revision adds annotations, which P=2 would forbid.
"""

from __future__ import annotations

from collections.abc import Sequence

from pyhanko.pdf_utils import generic
from pyhanko.pdf_utils.generic import pdf_name, pdf_string
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign.fields import enumerate_sig_fields

from inkseal.signing.core.appearance import DocumentImages, appearance_stream
from inkseal.signing.core.pdfdict import lookup
from inkseal.signing.core.placement import PlacementPlan, WidgetPlan

PRINT_AND_LOCKED = 4 | 128
STAMP_FLAGS = 4 | 64 | 128 | 512  # print, read-only, locked, locked contents


def existing_field_names(writer: IncrementalPdfFileWriter) -> set[str]:
    try:
        fields = writer.root["/AcroForm"]["/Fields"]
    except KeyError:
        return set()
    return {str(lookup(field.get_object(), "/T", "")) for field in fields}


def unique_field_names(writer: IncrementalPdfFileWriter, prefix: str, count: int) -> list[str]:
    taken = existing_field_names(writer) | {name for name, _, _ in enumerate_sig_fields(writer) if name}
    names: list[str] = []
    number = 1
    while len(names) < count:
        candidate = f"{prefix}{number}"
        if candidate not in taken:
            names.append(candidate)
        number += 1
    return names


def create_signature_fields(
    writer: IncrementalPdfFileWriter, images: DocumentImages, plans: Sequence[PlacementPlan], names: Sequence[str]
) -> None:
    fields = _acroform_fields(writer)
    pages = {w.page for plan in plans for w in (plan.widget, *plan.stamps)}
    page_refs = {page: writer.find_page_for_modification(page)[0] for page in pages}
    for plan, name in zip(plans, names, strict=True):
        field = generic.DictionaryObject({pdf_name("/FT"): pdf_name("/Sig"), pdf_name("/T"): pdf_string(name)})
        _annotation(field, "/Widget", plan.widget, page_refs, PRINT_AND_LOCKED)
        field_ref = writer.add_object(field)
        fields.append(field_ref)
        writer.register_annotation(page_refs[plan.widget.page], field_ref)
        for stamp in plan.stamps:
            _add_stamp(writer, images, plan, stamp, page_refs)


def _add_stamp(
    writer: IncrementalPdfFileWriter,
    images: DocumentImages,
    plan: PlacementPlan,
    stamp: WidgetPlan,
    page_refs: dict[int, generic.IndirectObject],
) -> None:
    annot = generic.DictionaryObject({pdf_name("/Contents"): pdf_string("骑缝章")})
    _annotation(annot, "/Stamp", stamp, page_refs, STAMP_FLAGS)
    annot[pdf_name("/AP")] = _appearance_dict(writer, images, plan, stamp)
    writer.register_annotation(page_refs[stamp.page], writer.add_object(annot))


def _acroform_fields(writer: IncrementalPdfFileWriter) -> generic.ArrayObject:
    root = writer.root
    if "/AcroForm" not in root:
        root[pdf_name("/AcroForm")] = writer.add_object(
            generic.DictionaryObject({pdf_name("/Fields"): generic.ArrayObject()})
        )
        writer.update_root()
    form = root["/AcroForm"]
    if "/Fields" not in form:
        form[pdf_name("/Fields")] = generic.ArrayObject()
    fields = form["/Fields"]
    writer.update_container(fields)
    writer.update_container(form)
    return fields


def _annotation(
    target: generic.DictionaryObject,
    subtype: str,
    plan: WidgetPlan,
    page_refs: dict[int, generic.IndirectObject],
    flags: int,
) -> None:
    target[pdf_name("/Type")] = pdf_name("/Annot")
    target[pdf_name("/Subtype")] = pdf_name(subtype)
    target[pdf_name("/F")] = generic.NumberObject(flags)
    target[pdf_name("/Rect")] = generic.ArrayObject([generic.FloatObject(round(v, 4)) for v in plan.rect])
    target[pdf_name("/P")] = page_refs[plan.page]


def apply_appearance(
    writer: IncrementalPdfFileWriter, images: DocumentImages, field_ref: generic.IndirectObject, plan: PlacementPlan
) -> None:
    """Give a (combined field/widget) signature field its seal appearance."""
    field_ref.get_object()[pdf_name("/AP")] = _appearance_dict(writer, images, plan, plan.widget)
    writer.mark_update(field_ref)


def _appearance_dict(
    writer: IncrementalPdfFileWriter, images: DocumentImages, plan: PlacementPlan, widget: WidgetPlan
) -> generic.DictionaryObject:
    seal_ref = images.seal(plan.placement.seal.encoded)
    date_ref = images.date(widget.art.date) if widget.art.date else None
    stream = appearance_stream(widget.art, widget.rotate, seal_ref, date_ref)
    return generic.DictionaryObject({pdf_name("/N"): writer.add_object(stream)})


def find_field(writer: IncrementalPdfFileWriter, name: str) -> generic.IndirectObject:
    for found, _, ref in enumerate_sig_fields(writer, with_name=name):
        if found == name:
            return ref
    raise LookupError(name)
