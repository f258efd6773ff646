"""One-time SMS codes: issue with rate limits, check with a bounded number of tries."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from inkseal.core.errors import DomainError, RateLimited
from inkseal.core.idnumbers import is_valid_phone
from inkseal.notify.backends import gateway
from inkseal.notify.models import SmsCode

PURPOSE_TEXT = {
    "login": "登录",
    "sign": "签章确认",
    "verify": "实名认证",
    "stepup": "身份验证",
    "sso_link": "交易平台关联",
    "grant": "证书授权确认",
    "pin_unlock": "PIN码解锁",
}


class InvalidPhone(DomainError):
    code = "invalid_phone"
    default_message = gettext_lazy("请输入正确的11位手机号。")


class CodeInvalid(DomainError):
    code = "code_invalid"
    default_message = gettext_lazy("验证码错误或已过期，请重新获取。")


def _hash(code: str, phone: str, purpose: str) -> str:
    key = hashlib.sha256(("sms-code:" + settings.SECRET_KEY).encode()).digest()
    return hmac.new(key, f"{purpose}:{phone}:{code}".encode(), hashlib.sha256).hexdigest()


class SignCodeLimited(RateLimited):
    code = "sign_code_limited"
    default_message = gettext_lazy("验证码发送过于频繁，请稍后再试。")


# Code kinds (the purpose before ":") that draw on a quota of their own; every other kind (login,
# verify …) shares the general one. Signing codes name their task ("sign:42"): a bidder confirming
# 30 tasks in an hour must not be stopped by the login quota, nor spend it.
SIGN_KIND = "sign"
_SEPARATE_KINDS = (SIGN_KIND,)


def _kind(purpose: str) -> str:
    return purpose.split(":", 1)[0]


def _pool(kind: str) -> Q:
    """The codes counted against the same quota as a code of `kind`."""
    if kind in _SEPARATE_KINDS:
        return Q(purpose__startswith=f"{kind}:") | Q(purpose=kind)
    pool = Q()
    for other in _SEPARATE_KINDS:
        pool &= ~Q(purpose__startswith=f"{other}:") & ~Q(purpose=other)
    return pool


def _sign_limited(what: str) -> SignCodeLimited:
    return SignCodeLimited(
        what
        + _(
            "如需连续签署多份文件：证书设置云证书PIN码后可改用PIN码确认签章；"
            "或请交易平台将多份文件合并为一个批量签章任务，一次确认全部签署。"
        )
    )


def check_can_send(phone: str, purpose: str, ip: str) -> None:
    """The limits of a code for `purpose`: the interval between two codes of one purpose, then
    the hourly quotas of its pool per phone and per IP (and, for signing, per task)."""
    if not is_valid_phone(phone):
        raise InvalidPhone(_("请输入正确的11位手机号。"))
    now = timezone.now()
    interval = now - timedelta(seconds=settings.SMS_PHONE_INTERVAL_SECONDS)
    hour = now - timedelta(hours=1)
    kind = _kind(purpose)
    pool = _pool(kind)
    # the limits in one query over the recent codes of this phone or this IP
    by_phone, by_ip = Q(phone=phone), Q(ip=ip)
    counts = {
        "just_now": Count("pk", filter=by_phone & Q(purpose=purpose, created_at__gt=interval)),
        "pool_phone": Count("pk", filter=by_phone & pool & Q(created_at__gt=hour)),
        "this_purpose": Count("pk", filter=by_phone & Q(purpose=purpose, created_at__gt=hour)),
    }
    if ip:
        counts["pool_ip"] = Count("pk", filter=by_ip & pool & Q(created_at__gt=hour))
    sent = SmsCode.objects.filter(by_phone | by_ip if ip else by_phone, created_at__gt=min(hour, interval)).aggregate(
        **counts
    )
    if sent["just_now"]:
        raise RateLimited(_("验证码发送过于频繁，请%(s)d秒后再试。") % {"s": settings.SMS_PHONE_INTERVAL_SECONDS})
    if kind == SIGN_KIND:
        if sent["this_purpose"] >= settings.SMS_SIGN_PER_TASK_PER_HOUR:
            raise _sign_limited(_("该签章任务一小时内获取验证码次数过多，请稍后再试。"))
        if sent["pool_phone"] >= settings.SMS_SIGN_PER_PHONE_PER_HOUR:
            raise _sign_limited(_("该手机号一小时内获取签章验证码次数过多，请稍后再试。"))
        if ip and sent["pool_ip"] >= settings.SMS_SIGN_PER_IP_PER_HOUR:
            raise _sign_limited(_("当前网络获取签章验证码次数过多，请稍后再试。"))
        return
    if sent["pool_phone"] >= settings.SMS_PER_PHONE_PER_HOUR:
        raise RateLimited(_("该手机号一小时内获取验证码次数过多，请稍后再试。"))
    if ip and sent["pool_ip"] >= settings.SMS_PER_IP_PER_HOUR:
        raise RateLimited(_("当前网络获取验证码次数过多，请稍后再试。"))


@transaction.atomic
def send_code(phone: str, purpose: str, ip: str = "", *, context: str = "") -> SmsCode:
    """Issue a 6-digit code valid for SMS_CODE_TTL seconds and send it through the gateway."""
    check_can_send(phone, purpose, ip)
    code = f"{secrets.randbelow(1_000_000):06d}"
    ttl = settings.SMS_CODE_TTL_SECONDS
    record = SmsCode.objects.create(
        phone=phone,
        purpose=purpose,
        code_hash=_hash(code, phone, purpose),
        ip=ip,
        expires_at=timezone.now() + timedelta(seconds=ttl),
    )
    # A purpose may name its object ("sign:42") so that a code only ever confirms that object.
    what = PURPOSE_TEXT.get(purpose.split(":", 1)[0], purpose)
    body = f"【Inkseal】您的{what}验证码为{code}，{ttl // 60}分钟内有效。{context}请勿泄露给他人。"
    gateway().send(phone, body, purpose)
    return record


def _never_sent_or_used(phone: str, purpose: str) -> str:
    """No live code: either none was asked for (the user confirmed first), or the last one was used."""
    if SmsCode.objects.filter(phone=phone, purpose=purpose).exists():
        return _("验证码已使用，请重新获取。")
    return _("请先获取验证码。")


def _consume_if_right(phone: str, purpose: str, code: str) -> bool:
    """Consume the newest live code for (phone, purpose) if it is `code`, unexpired and not locked
    by wrong tries, in one conditional UPDATE (it takes the row lock: a second use of the same
    code waits, then finds it consumed). False changes nothing; verify_code then says why."""
    now = timezone.now()
    newest = SmsCode.objects.filter(phone=phone, purpose=purpose, consumed_at__isnull=True).order_by(
        "-created_at", "-id"
    )
    consumed = SmsCode.objects.filter(
        pk=Subquery(newest.values("pk")[:1]),
        code_hash=_hash(code.strip(), phone, purpose),
        consumed_at__isnull=True,
        expires_at__gt=now,
        failed_attempts__lt=settings.SMS_CODE_MAX_TRIES,
    ).update(consumed_at=now)
    return consumed == 1


def verify_code(phone: str, purpose: str, code: str, *, and_then: Callable[[], object] | None = None) -> None:
    """Consume the newest live code if `code` matches; count a wrong try otherwise.

    Raises CodeInvalid with a message telling the user what to do. Call it outside any other
    transaction: a wrong try is committed before the error is raised, so it always counts.
    `and_then` runs in the same transaction once the code matched, for what the code authorises:
    the code is consumed only if that succeeds too.
    """
    error: str | None = None
    with transaction.atomic():
        if _consume_if_right(phone, purpose, code):  # the usual case in one statement
            if and_then is not None:
                and_then()
            return
        record = (
            SmsCode.objects.select_for_update(no_key=True)
            .filter(phone=phone, purpose=purpose, consumed_at__isnull=True)
            .order_by("-created_at", "-id")
            .first()
        )
        now = timezone.now()
        if record is None:
            error = _never_sent_or_used(phone, purpose)
        elif record.expires_at <= now:
            error = _("验证码已过期，请重新获取。")
        elif record.failed_attempts >= settings.SMS_CODE_MAX_TRIES:
            error = _("验证码错误次数过多，请重新获取。")
        elif not hmac.compare_digest(record.code_hash, _hash(code.strip(), phone, purpose)):
            record.failed_attempts += 1
            record.save(update_fields=["failed_attempts"])
            left = settings.SMS_CODE_MAX_TRIES - record.failed_attempts
            error = (
                _("验证码错误次数过多，请重新获取。") if left <= 0 else _("验证码错误，还可尝试%(n)d次。") % {"n": left}
            )
        else:
            record.consumed_at = now
            record.save(update_fields=["consumed_at"])
            if and_then is not None:
                and_then()
    if error:
        raise CodeInvalid(error)
