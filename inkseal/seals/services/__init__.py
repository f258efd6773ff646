"""Seal operations, one module per idea: making (template, uploaded image, handwriting), the
lifecycle (void, mark for change), usage records, stamps and row locks for the signing service,
the live preview, certificate bindings, and the access gate for pages.

check_* validate, do_* change state in one transaction with their audit row. This package
re-exports the names other apps use (`services.seal_for`); modules inside it import from each
other's module directly."""

from inkseal.seals.services.access import (
    check_manage,
    live_seals,
    missing_types,
    seal_for,
    seal_image_bytes,
    usable_seal_count,
    void_seals,
)
from inkseal.seals.services.bindings import (
    binding_actions,
    bound_certificate_labels,
    bound_seal_rows,
    do_bind_seal,
    do_bind_seal_for_holder,
    do_unbind_seal,
    do_unbind_seal_for_holder,
    is_bound,
    register_seal_binding,
    seal_bindings,
)
from inkseal.seals.services.lifecycle import do_void_seal, mark_seals_for_change
from inkseal.seals.services.making import TemplateOptions, do_make_handwriting, do_make_template_seal, do_upload_seal
from inkseal.seals.services.names import seal_name
from inkseal.seals.services.preview import preview_seal_type, render_preview
from inkseal.seals.services.stamps import lock_seals_for_signing, seal_stamp, stamp_of
from inkseal.seals.services.usage import record_seal_usage, record_seal_usages, seal_usages, usages_for

__all__ = [
    "TemplateOptions",
    "binding_actions",
    "bound_certificate_labels",
    "bound_seal_rows",
    "check_manage",
    "do_bind_seal",
    "do_bind_seal_for_holder",
    "do_make_handwriting",
    "do_make_template_seal",
    "do_unbind_seal",
    "do_unbind_seal_for_holder",
    "do_upload_seal",
    "do_void_seal",
    "is_bound",
    "live_seals",
    "lock_seals_for_signing",
    "mark_seals_for_change",
    "missing_types",
    "preview_seal_type",
    "record_seal_usage",
    "record_seal_usages",
    "register_seal_binding",
    "render_preview",
    "seal_bindings",
    "seal_for",
    "seal_image_bytes",
    "seal_name",
    "seal_stamp",
    "seal_usages",
    "stamp_of",
    "usable_seal_count",
    "usages_for",
    "void_seals",
]
