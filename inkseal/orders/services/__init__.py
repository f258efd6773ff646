"""Ordering, paying, applying, reviewing, issuing, shipping and invoicing, one module per idea.

check_* validate and raise a DomainError in the user's language, changing nothing; do_* change
state in one transaction, lock the application (then its order) first, move it only along
the machines of `states` (APPLICATION, ORDER, PAYMENT, INVOICE), whose moves write the audit
row inside, and queue the SMS notice for after commit
(`_common`). This package re-exports the names other apps use (`services.do_approve`); modules
inside it import from each other's module directly."""

from inkseal.orders.services.access import application_for, applications_of, check_can_manage
from inkseal.orders.services.applications import check_application, do_submit_application, needs_csr, selectable_seals
from inkseal.orders.services.catalogue import (
    catalogue,
    platforms_with_products,
    product_for,
    renewal_products,
    subject_kind_of,
)
from inkseal.orders.services.dashboard import in_progress_rows, next_step, search_applications
from inkseal.orders.services.invoicing import do_issue_invoice, do_request_invoice, invoice_pdf
from inkseal.orders.services.orders import do_cancel, do_place_order
from inkseal.orders.services.payments import do_settle_payment, do_start_payment
from inkseal.orders.services.review import do_approve, do_reject
from inkseal.orders.services.shipping import do_confirm_receipt, do_ship
from inkseal.orders.services.ukey_client import (
    application_for_client_token,
    client_identity,
    deliver_encryption_key,
    do_issue_client_token,
)

__all__ = [
    "application_for",
    "application_for_client_token",
    "applications_of",
    "catalogue",
    "check_application",
    "check_can_manage",
    "client_identity",
    "deliver_encryption_key",
    "do_approve",
    "do_cancel",
    "do_confirm_receipt",
    "do_issue_client_token",
    "do_issue_invoice",
    "do_place_order",
    "do_reject",
    "do_request_invoice",
    "do_settle_payment",
    "do_ship",
    "do_start_payment",
    "do_submit_application",
    "in_progress_rows",
    "invoice_pdf",
    "needs_csr",
    "next_step",
    "platforms_with_products",
    "product_for",
    "renewal_products",
    "search_applications",
    "selectable_seals",
    "subject_kind_of",
]
