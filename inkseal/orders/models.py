"""Products (商品), orders and payments, applications (办理单) with their seals, shipments, invoices."""

from __future__ import annotations

import secrets
from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from inkseal.accounts.models import Party, Person
from inkseal.orders.states import InvoiceState, OrderState, PaymentState, State
from inkseal.pki.models import Certificate
from inkseal.platforms.models import TradingPlatform
from inkseal.seals.models import Seal


def new_number() -> str:
    """Order and application numbers: 18 digits, time first so that they sort by creation."""
    now = timezone.localtime()
    return now.strftime("%y%m%d%H%M%S") + f"{now.microsecond // 1000:03d}{secrets.randbelow(1000):03d}"


# A product's medium and subject kind are those of the certificate it issues.
Medium = Certificate.Medium
SubjectKind = Certificate.SubjectKind


class Kind(models.TextChoices):
    PURCHASE = "purchase", _("证书初购")
    RENEWAL = "renewal", _("证书续期")


class Product(models.Model):
    """A certificate product a trading platform's users can buy, e.g. 云企业双证书（SM2）-1年期."""

    class Algorithm(models.TextChoices):
        SM2 = "sm2", "SM2"
        RSA_2048 = "rsa-2048", "RSA-2048"
        ECDSA_P256 = "ecdsa-p256", "ECDSA P-256"

    name = models.CharField(_("产品名称"), max_length=128)
    code = models.SlugField(_("产品编码"), max_length=64, unique=True)
    medium = models.CharField(_("证书介质"), max_length=8, choices=Medium.choices, default=Medium.CLOUD)
    subject_kind = models.CharField(_("主体类型"), max_length=16, choices=SubjectKind.choices)
    algorithm = models.CharField(_("算法"), max_length=16, choices=Algorithm.choices, default=Algorithm.SM2)
    years = models.PositiveSmallIntegerField(_("证书年限"), default=1, choices=[(1, "1"), (2, "2"), (3, "3")])
    ca_name = models.CharField(_("CA机构"), max_length=128, default="Inkseal CA")
    price = models.DecimalField(
        _("价格（元）"), max_digits=10, decimal_places=2, default=Decimal(0), validators=[MinValueValidator(Decimal(0))]
    )
    platform = models.ForeignKey(
        TradingPlatform, on_delete=models.PROTECT, related_name="products", verbose_name=_("服务的交易平台")
    )
    enabled = models.BooleanField(_("上架"), default=True)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("创建时间"))

    class Meta:
        ordering = ["platform", "medium", "subject_kind", "years", "code"]
        verbose_name = _("商品")
        verbose_name_plural = _("商品")

    def __str__(self) -> str:
        return self.name


class Order(models.Model):
    """One product bought by an identity; placed once per confirmation form (idempotency_key)."""

    State = OrderState  # the machine: orders/states.py ORDER

    number = models.CharField(_("订单号"), max_length=32, unique=True, default=new_number)
    idempotency_key = models.CharField(max_length=64, unique=True, verbose_name=_("幂等键"))
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="orders", verbose_name=_("主体"))
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="orders", verbose_name=_("办理人"))
    platform = models.ForeignKey(TradingPlatform, on_delete=models.PROTECT, verbose_name=_("交易平台"))
    product = models.ForeignKey(Product, on_delete=models.PROTECT, verbose_name=_("商品"))
    kind = models.CharField(_("办理类型"), max_length=16, choices=Kind.choices, default=Kind.PURCHASE)
    quantity = models.PositiveSmallIntegerField(_("购买数量"), default=1)
    amount = models.DecimalField(_("应付金额"), max_digits=10, decimal_places=2)
    state = models.CharField(_("订单状态"), max_length=16, choices=State.choices)
    ship_recipient = models.CharField(_("收件人"), max_length=64, blank=True)
    ship_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    ship_address = models.CharField(_("收货地址"), max_length=400, blank=True)
    agreed_at = models.DateTimeField(_("同意协议时间"))
    created_at = models.DateTimeField(_("下单时间"), auto_now_add=True)
    paid_at = models.DateTimeField(_("支付时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("订单")
        verbose_name_plural = _("订单")

    def __str__(self) -> str:
        return self.number


class Payment(models.Model):
    State = PaymentState  # the machine: orders/states.py PAYMENT

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments", verbose_name=_("订单"))
    provider = models.CharField(_("支付渠道"), max_length=32)
    reference = models.CharField(_("支付流水号"), max_length=64, unique=True)
    amount = models.DecimalField(_("金额"), max_digits=10, decimal_places=2)
    state = models.CharField(_("状态"), max_length=16, choices=State.choices, default=State.PENDING)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("创建时间"))
    settled_at = models.DateTimeField(null=True, blank=True, verbose_name=_("结算时间"))

    class Meta:
        verbose_name = _("支付记录")
        verbose_name_plural = _("支付记录")
        constraints = [
            # One live payment per order: paying twice settles the same row.
            models.UniqueConstraint(fields=["order"], condition=~models.Q(state="refunded"), name="payment_one_live")
        ]

    def __str__(self) -> str:
        return self.reference


class Application(models.Model):
    """办理单: completes an order (seals to bind, UKEY request), goes through review and issuance."""

    number = models.CharField(_("申请单号"), max_length=32, unique=True, default=new_number)
    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="application", verbose_name=_("订单"))
    party = models.ForeignKey(Party, on_delete=models.PROTECT, related_name="applications", verbose_name=_("主体"))
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="applications", verbose_name=_("办理人"))
    platform = models.ForeignKey(TradingPlatform, on_delete=models.PROTECT, verbose_name=_("交易平台"))
    kind = models.CharField(_("办理类型"), max_length=16, choices=Kind.choices)
    medium = models.CharField(_("证书介质"), max_length=8, choices=Medium.choices)
    state = models.CharField(_("办理状态"), max_length=16, choices=State.choices, db_index=True)
    seals = models.ManyToManyField(Seal, through="ApplicationSeal", related_name="+", verbose_name=_("绑定印章"))
    subject = models.JSONField(_("证书主体信息"), default=dict, blank=True)
    csr_der = models.BinaryField(null=True, blank=True, verbose_name=_("证书请求（DER）"))
    ukey_serial = models.CharField(_("UKEY序列号"), max_length=64, blank=True)
    renews = models.ForeignKey(
        Certificate, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("续期证书")
    )
    certificate = models.ForeignKey(
        Certificate, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("签发证书")
    )
    reject_reason = models.CharField(_("驳回原因"), max_length=255, blank=True)
    client_token_hash = models.CharField(
        max_length=64, blank=True, verbose_name=_("客户端令牌摘要")
    )  # the UKEY client tool's bearer token
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reviewed_by = models.CharField(_("审核人"), max_length=150, blank=True)
    created_at = models.DateTimeField(_("办理时间"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("更新时间"))

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("办理单")
        verbose_name_plural = _("办理单")
        permissions = [("review_application", _("可审核办理单、制证、发货与开票"))]

    def __str__(self) -> str:
        return self.number


class ApplicationSeal(models.Model):
    """A seal the applicant chose to bind to the certificate; bound on approval."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="chosen_seals", verbose_name=_("办理单")
    )
    seal = models.ForeignKey(Seal, on_delete=models.PROTECT, related_name="+", verbose_name=_("印章"))

    class Meta:
        verbose_name = _("办理单所选印章")
        verbose_name_plural = _("办理单所选印章")
        constraints = [models.UniqueConstraint(fields=["application", "seal"], name="application_seal_unique")]

    def __str__(self) -> str:
        return f"{self.application_id}:{self.seal_id}"


class Shipment(models.Model):
    """UKEY 发货: the token goes to the order's address by courier."""

    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, related_name="shipment", verbose_name=_("办理单")
    )
    courier = models.CharField(_("快递公司"), max_length=64)
    tracking_number = models.CharField(_("快递单号"), max_length=64)
    shipped_at = models.DateTimeField(_("发货时间"))
    shipped_by = models.CharField(_("发货人"), max_length=150, blank=True)
    received_at = models.DateTimeField(_("签收时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("发货记录")
        verbose_name_plural = _("发货记录")

    def __str__(self) -> str:
        return f"{self.courier} {self.tracking_number}"


class Invoice(models.Model):
    State = InvoiceState  # the machine: orders/states.py INVOICE

    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="invoice", verbose_name=_("订单"))
    title = models.CharField(_("发票抬头"), max_length=128)
    tax_number = models.CharField(_("税号"), max_length=20, blank=True)
    email = models.EmailField(_("接收邮箱"), blank=True)
    amount = models.DecimalField(_("开票金额"), max_digits=10, decimal_places=2)
    state = models.CharField(_("开票状态"), max_length=16, choices=State.choices, default=State.REQUESTED)
    pdf = models.FileField(_("发票文件"), upload_to="invoices/", blank=True)
    requested_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    issued_at = models.DateTimeField(_("开票时间"), null=True, blank=True)
    issued_by = models.CharField(_("开票人"), max_length=150, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("发票")
        verbose_name_plural = _("发票")

    def __str__(self) -> str:
        return f"{self.title} ¥{self.amount}"

    @property
    def number(self) -> str:
        """发票号码: one invoice per order, so the order's number prefixed with FP."""
        return f"FP{self.order.number}"
