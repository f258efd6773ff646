"""Refusals of the orders app, each with a stable code."""

from __future__ import annotations

from inkseal.core.errors import Conflict, DomainError, NotFound


class OrderInvalid(DomainError):
    code = "order_invalid"


class ProductUnavailable(DomainError):
    code = "product_unavailable"


class ApplicationNotFound(NotFound):
    code = "application_not_found"


class TransitionNotAllowed(Conflict):
    """The application is not in a state where this action is possible."""

    code = "transition_not_allowed"


class ApplicationInvalid(DomainError):
    code = "application_invalid"


class PaymentInvalid(DomainError):
    code = "payment_invalid"


class InvoiceInvalid(DomainError):
    code = "invoice_invalid"
