"""Refusals of the orders app, each with a stable code."""

from __future__ import annotations

from inkseal.core.errors import Conflict, DomainError, NotFound, gettext_lazy


class OrderInvalid(DomainError):
    code = "order_invalid"
    default_message = gettext_lazy("订单确认页已失效，请刷新后重新提交。")


class ProductUnavailable(DomainError):
    code = "product_unavailable"
    default_message = gettext_lazy("商品不存在或已下架，请重新选择。")


class ApplicationNotFound(NotFound):
    code = "application_not_found"
    default_message = gettext_lazy("办理单不存在。")


class TransitionNotAllowed(Conflict):
    """The application is not in a state where this action is possible."""

    code = "transition_not_allowed"
    default_message = gettext_lazy("当前状态下不能进行该操作，请刷新后重试。")


class ApplicationInvalid(DomainError):
    code = "application_invalid"
    default_message = gettext_lazy("办理申请信息有误，请检查后重新提交。")


class PaymentInvalid(DomainError):
    code = "payment_invalid"
    default_message = gettext_lazy("支付记录不存在。")


class InvoiceInvalid(DomainError):
    code = "invoice_invalid"
    default_message = gettext_lazy("开票信息有误，请检查后重新提交。")
