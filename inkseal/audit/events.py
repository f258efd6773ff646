"""The audit log's event names and what each means, in the operator's language (the back office
shows the description beside the raw name). One table for every event the code records; a test
(tests/audit/test_event_descriptions.py) collects the names used in `record(...)` calls and fails
when one has no description here. A later step can turn the keys into constants.

Attempt events (identity.*) end in the attempt's state: pending, succeeded, failed or cancelled.
"""

from __future__ import annotations

from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

_STATES = {"pending": _("进行中"), "succeeded": _("成功"), "failed": _("失败"), "cancelled": _("已取消")}


def _by_state(prefix: str, what: Promise) -> dict[str, Promise | str]:
    # one entry per attempt state: "identity.phone.failed" → "手机号实名认证：失败"
    return {f"{prefix}.{state}": format_lazy("{}：{}", what, label) for state, label in _STATES.items()}


EVENT_DESCRIPTIONS: dict[str, Promise | str] = {
    # accounts: sign-in, identities, addresses, enterprises, step-up
    "login.sms": _("短信验证码登录"),
    "login.sso": _("交易平台单点登录"),
    "login.sso_failed": _("单点登录失败"),
    "login.sso_link_required": _("单点登录需先关联账号"),
    "logout": _("退出登录"),
    "identity.switch": _("切换身份"),
    "enterprise.create": _("创建企业"),
    "address.add": _("新增收货地址"),
    "address.default": _("设为默认收货地址"),
    "address.delete": _("删除收货地址"),
    "stepup.sms": _("二次验证：短信验证码"),
    "stepup.pin": _("二次验证：PIN码"),
    "stepup.refused": _("二次验证未通过"),
    # identity: real-name verification attempts and the review queue
    "identity.document.submitted": _("提交证件照片"),
    "identity.document.viewed": _("审核员查看证件照片"),
    "identity.enterprise.licence.submitted": _("提交营业执照（人工审核）"),
    "identity.enterprise.bank_card.deposit_sent": _("企业对公账户打款已发出"),
    "identity.enterprise.bank_card.wrong_amount": _("企业打款金额填写错误"),
    "identity.face.started": _("开始人脸识别"),
    "identity.face.cancelled": _("取消人脸识别"),
    "identity.face.consent_refused": _("未同意人脸识别授权"),
    "identity.face.link_opened": _("打开手机人脸识别链接"),
    "identity.face.link_renewed": _("重新生成人脸识别链接"),
    **_by_state("identity.phone", _("手机号实名认证")),
    **_by_state("identity.face", _("人脸识别认证")),
    **_by_state("identity.enterprise.legal_rep_phone", _("法定代表人手机号认证")),
    **_by_state("identity.enterprise.bank_card", _("企业对公账户打款认证")),
    "identity.review.approved": _("实名认证人工审核通过"),
    "identity.review.rejected": _("实名认证人工审核驳回"),
    # platforms
    "platform.api_client_create": _("创建接口客户端"),
    "platform.api_client_rotate": _("轮换接口客户端密钥"),
    "platform.link": _("关联交易平台账号"),
    "platform.unlink": _("解除交易平台关联"),
    # pki: certificates, PINs, keys, CAs
    "certificate.issue": _("签发证书"),
    "certificate.renew": _("证书续期"),
    "certificate.revoke": _("吊销证书"),
    "certificate.register_external": _("登记外部证书"),
    "certificate.authorize": _("证书授权"),
    "certificate.authorization_confirm": _("确认证书授权"),
    "certificate.authorization_resend": _("重新发送证书授权确认"),
    "certificate.authorization_revoke": _("撤销证书授权"),
    "certificate.key_deliver": _("下发加密密钥"),
    "certificate.key_recover": _("恢复加密密钥"),
    "certificate.pin_set": _("设置云证书PIN码"),
    "certificate.pin_change": _("修改云证书PIN码"),
    "certificate.pin_failed": _("PIN码错误"),
    "certificate.pin_locked": _("PIN码已锁定"),
    "certificate.pin_unlocked": _("PIN码解锁"),
    "pki.hierarchy": _("建立CA层级"),
    "pki.crl_issued": _("签发CRL"),
    "pki.trusted_root_add": _("添加受信任根证书"),
    # seals
    "seal.create": _("新增印章"),
    "seal.bind": _("印章绑定证书"),
    "seal.unbind": _("印章解绑证书"),
    "seal.void": _("作废印章"),
    "seal.mark_for_change": _("印章标记为待变更"),
    "seal.electronic_seal": _("制作电子印章（GB/T 38540）"),
    "seal.maker_created": _("创建制章者"),
    # signing
    "sign_task.create": _("创建签署任务"),
    "sign_task.create_self_service": _("创建自助签署任务"),
    "sign_task.confirm": _("签署任务确认"),
    "sign_task.complete": _("签署任务完成"),
    "sign_task.fail": _("签署任务失败"),
    "sign_task.expire": _("签署任务过期"),
    "sign_task.interrupt": _("签署任务中断"),
    "sign_task.resume": _("签署任务恢复执行"),
    "signing.sign": _("签署文件"),
    "pdf.budget_exceeded": _("PDF解析超出资源限制"),
    # orders
    "order.place": _("下单"),
    "payment.start": _("发起支付"),
    "payment.settle": _("支付完成"),
    "application.submit": _("提交办理单"),
    "application.cancel": _("取消办理单"),
    "application.approve": _("办理单审核通过"),
    "application.reject": _("办理单驳回"),
    "application.ship": _("发货"),
    "application.receive": _("确认收货"),
    "application.client_token": _("签发证书客户端令牌"),
    "invoice.request": _("申请发票"),
    "invoice.issue": _("开具发票"),
    # back office
    "operator.login": _("运营人员登录"),
    "operator.logout": _("运营人员退出"),
    "operator.login_failed": _("运营人员登录失败"),
    "operator.login_locked": _("运营人员登录被锁定"),
    "operator.totp_enrolled": _("绑定动态验证码"),
    "operator.totp_reset": _("重置动态验证码"),
    "backoffice.add": _("后台新增记录"),
    "backoffice.change": _("后台修改记录"),
    "backoffice.callback_retry": _("后台重试平台回调"),
    "backoffice.delete": _("后台删除记录"),
}


def describe(event: str) -> str:
    """The Chinese (or translated) description of an event name; "" for an unknown one."""
    description = EVENT_DESCRIPTIONS.get(event)
    return str(description) if description is not None else ""
