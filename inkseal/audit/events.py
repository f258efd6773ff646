"""Audit event names and what each means: every `record(...)` names its event with one of these
constants, and EVENT_DESCRIPTIONS says what it means in the operator's language (the back office
shows the description beside the raw name).

One place holds the log's vocabulary, so a reader sees every kind of entry, and a typo cannot
invent a new event. Values are stored in AuditEntry.event: never rename a value, only add new ones
(tests/audit/test_event_names.py: no call spells a name; test_event_descriptions.py: every
constant has a description and every description a constant).
"""

from __future__ import annotations

from typing import Final

from django.utils.functional import Promise
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

# --- address -----------------------------------------------------------------------------------
ADDRESS_ADD: Final = "address.add"
ADDRESS_DEFAULT: Final = "address.default"
ADDRESS_DELETE: Final = "address.delete"

# --- application -------------------------------------------------------------------------------
APPLICATION_APPROVE: Final = "application.approve"
APPLICATION_CANCEL: Final = "application.cancel"
APPLICATION_CLIENT_TOKEN: Final = "application.client_token"
APPLICATION_RECEIVE: Final = "application.receive"
APPLICATION_REJECT: Final = "application.reject"
APPLICATION_SHIP: Final = "application.ship"
APPLICATION_SUBMIT: Final = "application.submit"

# --- audit -------------------------------------------------------------------------------------
AUDIT_CHAIN_REKEYED: Final = "audit.chain_rekeyed"

# --- backoffice --------------------------------------------------------------------------------
BACKOFFICE_ADD: Final = "backoffice.add"
BACKOFFICE_CALLBACK_RETRY: Final = "backoffice.callback_retry"
BACKOFFICE_CHANGE: Final = "backoffice.change"
BACKOFFICE_DELETE: Final = "backoffice.delete"

# --- certificate -------------------------------------------------------------------------------
CERTIFICATE_AUTHORIZATION_CONFIRM: Final = "certificate.authorization_confirm"
CERTIFICATE_AUTHORIZATION_RESEND: Final = "certificate.authorization_resend"
CERTIFICATE_AUTHORIZATION_REVOKE: Final = "certificate.authorization_revoke"
CERTIFICATE_AUTHORIZE: Final = "certificate.authorize"
CERTIFICATE_ISSUE: Final = "certificate.issue"
CERTIFICATE_KEY_DELIVER: Final = "certificate.key_deliver"
CERTIFICATE_KEY_RECOVER: Final = "certificate.key_recover"
CERTIFICATE_PIN_CHANGE: Final = "certificate.pin_change"
CERTIFICATE_PIN_FAILED: Final = "certificate.pin_failed"
CERTIFICATE_PIN_LOCKED: Final = "certificate.pin_locked"
CERTIFICATE_PIN_SET: Final = "certificate.pin_set"
CERTIFICATE_PIN_UNLOCKED: Final = "certificate.pin_unlocked"
CERTIFICATE_REGISTER_EXTERNAL: Final = "certificate.register_external"
CERTIFICATE_RENEW: Final = "certificate.renew"
CERTIFICATE_REVOKE: Final = "certificate.revoke"

# --- enterprise --------------------------------------------------------------------------------
ENTERPRISE_CREATE: Final = "enterprise.create"
ENTERPRISE_MEMBER_DUTIES: Final = "enterprise.member_duties"
ENTERPRISE_SEAL_USER_REFUSED: Final = "enterprise.seal_user_refused"
ENTERPRISE_SEPARATION_OF_DUTIES: Final = "enterprise.separation_of_duties"

# --- evidence ----------------------------------------------------------------------------------
EVIDENCE_REPORT_ISSUE: Final = "evidence.report_issue"

# --- identity ----------------------------------------------------------------------------------
IDENTITY_DOCUMENT_SUBMITTED: Final = "identity.document.submitted"
IDENTITY_DOCUMENT_VIEWED: Final = "identity.document.viewed"
IDENTITY_ENTERPRISE_BANK_CARD_CANCELLED: Final = "identity.enterprise.bank_card.cancelled"
IDENTITY_ENTERPRISE_BANK_CARD_DEPOSIT_SENT: Final = "identity.enterprise.bank_card.deposit_sent"
IDENTITY_ENTERPRISE_BANK_CARD_FAILED: Final = "identity.enterprise.bank_card.failed"
IDENTITY_ENTERPRISE_BANK_CARD_SUCCEEDED: Final = "identity.enterprise.bank_card.succeeded"
IDENTITY_ENTERPRISE_BANK_CARD_WRONG_AMOUNT: Final = "identity.enterprise.bank_card.wrong_amount"
IDENTITY_ENTERPRISE_LEGAL_REP_PHONE_FAILED: Final = "identity.enterprise.legal_rep_phone.failed"
IDENTITY_ENTERPRISE_LEGAL_REP_PHONE_SUCCEEDED: Final = "identity.enterprise.legal_rep_phone.succeeded"
IDENTITY_ENTERPRISE_LICENCE_SUBMITTED: Final = "identity.enterprise.licence.submitted"
IDENTITY_FACE_CANCELLED: Final = "identity.face.cancelled"
IDENTITY_FACE_CONSENT_REFUSED: Final = "identity.face.consent_refused"
IDENTITY_FACE_FAILED: Final = "identity.face.failed"
IDENTITY_FACE_LINK_OPENED: Final = "identity.face.link_opened"
IDENTITY_FACE_LINK_RENEWED: Final = "identity.face.link_renewed"
IDENTITY_FACE_STARTED: Final = "identity.face.started"
IDENTITY_FACE_SUCCEEDED: Final = "identity.face.succeeded"
IDENTITY_PHONE_FAILED: Final = "identity.phone.failed"
IDENTITY_PHONE_SUCCEEDED: Final = "identity.phone.succeeded"
IDENTITY_REVIEW_APPROVED: Final = "identity.review.approved"
IDENTITY_REVIEW_REJECTED: Final = "identity.review.rejected"
IDENTITY_SWITCH: Final = "identity.switch"

# --- invoice -----------------------------------------------------------------------------------
INVOICE_ISSUE: Final = "invoice.issue"
INVOICE_REQUEST: Final = "invoice.request"

# --- login -------------------------------------------------------------------------------------
LOGIN_SMS: Final = "login.sms"
LOGIN_SSO: Final = "login.sso"
LOGIN_SSO_FAILED: Final = "login.sso_failed"
LOGIN_SSO_LINK_REQUIRED: Final = "login.sso_link_required"

# --- logout ------------------------------------------------------------------------------------
LOGOUT: Final = "logout"

# --- operator ----------------------------------------------------------------------------------
OPERATOR_LOGIN: Final = "operator.login"
OPERATOR_LOGIN_FAILED: Final = "operator.login_failed"
OPERATOR_LOGIN_LOCKED: Final = "operator.login_locked"
OPERATOR_LOGOUT: Final = "operator.logout"
OPERATOR_TOTP_ENROLLED: Final = "operator.totp_enrolled"
OPERATOR_TOTP_RESET: Final = "operator.totp_reset"

# --- order -------------------------------------------------------------------------------------
ORDER_PLACE: Final = "order.place"

# --- payment -----------------------------------------------------------------------------------
PAYMENT_SETTLE: Final = "payment.settle"
PAYMENT_START: Final = "payment.start"

# --- pdf ---------------------------------------------------------------------------------------
PDF_BUDGET_EXCEEDED: Final = "pdf.budget_exceeded"

# --- ofd ---------------------------------------------------------------------------------------
OFD_HOSTILE_PACKAGE: Final = "ofd.hostile_package"

# --- pki ---------------------------------------------------------------------------------------
PKI_CRL_ISSUED: Final = "pki.crl_issued"
PKI_HIERARCHY: Final = "pki.hierarchy"
PKI_TRUSTED_ROOT_ADD: Final = "pki.trusted_root_add"

# --- platform ----------------------------------------------------------------------------------
PLATFORM_API_CLIENT_CREATE: Final = "platform.api_client_create"
PLATFORM_API_CLIENT_ROTATE: Final = "platform.api_client_rotate"
PLATFORM_LINK: Final = "platform.link"
PLATFORM_UNLINK: Final = "platform.unlink"

# --- seal --------------------------------------------------------------------------------------
SEAL_APPROVAL_APPROVE: Final = "seal.approval_approve"
SEAL_APPROVAL_REJECT: Final = "seal.approval_reject"
SEAL_APPROVAL_REQUEST: Final = "seal.approval_request"
SEAL_APPROVAL_RULE: Final = "seal.approval_rule"
SEAL_BIND: Final = "seal.bind"
SEAL_CREATE: Final = "seal.create"
SEAL_ELECTRONIC_SEAL: Final = "seal.electronic_seal"
SEAL_MAKER_CREATED: Final = "seal.maker_created"
SEAL_MARK_FOR_CHANGE: Final = "seal.mark_for_change"
SEAL_UNBIND: Final = "seal.unbind"
SEAL_VOID: Final = "seal.void"

# --- sign_task ---------------------------------------------------------------------------------
SIGN_TASK_COMPLETE: Final = "sign_task.complete"
SIGN_TASK_CONFIRM: Final = "sign_task.confirm"
SIGN_TASK_CREATE: Final = "sign_task.create"
SIGN_TASK_CREATE_SELF_SERVICE: Final = "sign_task.create_self_service"
SIGN_TASK_EXPIRE: Final = "sign_task.expire"
SIGN_TASK_FAIL: Final = "sign_task.fail"
SIGN_TASK_INTERRUPT: Final = "sign_task.interrupt"
SIGN_TASK_RESUME: Final = "sign_task.resume"

# --- sign_flow ---------------------------------------------------------------------------------
SIGN_FLOW_CANCEL: Final = "sign_flow.cancel"
SIGN_FLOW_COMPLETE: Final = "sign_flow.complete"
SIGN_FLOW_CREATE: Final = "sign_flow.create"
SIGN_FLOW_EXPIRE: Final = "sign_flow.expire"
SIGN_FLOW_FAIL: Final = "sign_flow.fail"
SIGN_FLOW_REFUSE: Final = "sign_flow.refuse"
SIGN_FLOW_SIGNER_FAIL: Final = "sign_flow.signer_fail"
SIGN_FLOW_SIGNER_READY: Final = "sign_flow.signer_ready"
SIGN_FLOW_SIGNER_REFUSE: Final = "sign_flow.signer_refuse"
SIGN_FLOW_SIGNER_REMIND: Final = "sign_flow.signer_remind"
SIGN_FLOW_SIGNER_SIGN: Final = "sign_flow.signer_sign"

# --- signing -----------------------------------------------------------------------------------
SIGNING_SIGN: Final = "signing.sign"

# --- stepup ------------------------------------------------------------------------------------
STEPUP_PIN: Final = "stepup.pin"
STEPUP_REFUSED: Final = "stepup.refused"
STEPUP_SMS: Final = "stepup.sms"


# Events named by an outcome state (VerificationAttempt.state once the attempt is finished).
IDENTITY_PHONE_OUTCOME: Final = {"succeeded": IDENTITY_PHONE_SUCCEEDED, "failed": IDENTITY_PHONE_FAILED}
IDENTITY_FACE_OUTCOME: Final = {"succeeded": IDENTITY_FACE_SUCCEEDED, "failed": IDENTITY_FACE_FAILED}
IDENTITY_LEGAL_REP_PHONE_OUTCOME: Final = {
    "succeeded": IDENTITY_ENTERPRISE_LEGAL_REP_PHONE_SUCCEEDED,
    "failed": IDENTITY_ENTERPRISE_LEGAL_REP_PHONE_FAILED,
}
IDENTITY_BANK_CARD_OUTCOME: Final = {
    "succeeded": IDENTITY_ENTERPRISE_BANK_CARD_SUCCEEDED,
    "failed": IDENTITY_ENTERPRISE_BANK_CARD_FAILED,
    "cancelled": IDENTITY_ENTERPRISE_BANK_CARD_CANCELLED,
}


def all_events() -> frozenset[str]:
    """Every event name this module defines."""
    return frozenset(value for name, value in globals().items() if name.isupper() and isinstance(value, str))


_STATES = {"succeeded": _("成功"), "failed": _("失败"), "cancelled": _("已取消")}

EVENT_DESCRIPTIONS: dict[str, Promise | str] = {
    # accounts: sign-in, identities, addresses, enterprises, step-up
    LOGIN_SMS: _("短信验证码登录"),
    LOGIN_SSO: _("交易平台单点登录"),
    LOGIN_SSO_FAILED: _("单点登录失败"),
    LOGIN_SSO_LINK_REQUIRED: _("单点登录需先关联账号"),
    LOGOUT: _("退出登录"),
    IDENTITY_SWITCH: _("切换身份"),
    ENTERPRISE_CREATE: _("创建企业"),
    EVIDENCE_REPORT_ISSUE: _("出具签署报告"),
    ENTERPRISE_MEMBER_DUTIES: _("设置企业成员角色（印章管理员、用印人、审批人、审计员）"),
    ENTERPRISE_SEPARATION_OF_DUTIES: _("开启或关闭企业三权分立"),
    ENTERPRISE_SEAL_USER_REFUSED: _("拒绝非用印人使用企业印章签章"),
    ADDRESS_ADD: _("新增收货地址"),
    ADDRESS_DEFAULT: _("设为默认收货地址"),
    ADDRESS_DELETE: _("删除收货地址"),
    STEPUP_SMS: _("二次验证：短信验证码"),
    STEPUP_PIN: _("二次验证：PIN码"),
    STEPUP_REFUSED: _("二次验证未通过"),
    # identity: real-name verification attempts and the review queue
    IDENTITY_DOCUMENT_SUBMITTED: _("提交证件照片"),
    IDENTITY_DOCUMENT_VIEWED: _("审核员查看证件照片"),
    IDENTITY_ENTERPRISE_LICENCE_SUBMITTED: _("提交营业执照（人工审核）"),
    IDENTITY_ENTERPRISE_BANK_CARD_DEPOSIT_SENT: _("企业对公账户打款已发出"),
    IDENTITY_ENTERPRISE_BANK_CARD_WRONG_AMOUNT: _("企业打款金额填写错误"),
    IDENTITY_FACE_STARTED: _("开始人脸识别"),
    IDENTITY_FACE_CONSENT_REFUSED: _("未同意人脸识别授权"),
    IDENTITY_FACE_LINK_OPENED: _("打开手机人脸识别链接"),
    IDENTITY_FACE_LINK_RENEWED: _("重新生成人脸识别链接"),
    IDENTITY_PHONE_SUCCEEDED: format_lazy("{}：{}", _("手机号实名认证"), _STATES["succeeded"]),
    IDENTITY_PHONE_FAILED: format_lazy("{}：{}", _("手机号实名认证"), _STATES["failed"]),
    IDENTITY_FACE_SUCCEEDED: format_lazy("{}：{}", _("人脸识别认证"), _STATES["succeeded"]),
    IDENTITY_FACE_FAILED: format_lazy("{}：{}", _("人脸识别认证"), _STATES["failed"]),
    IDENTITY_FACE_CANCELLED: format_lazy("{}：{}", _("人脸识别认证"), _STATES["cancelled"]),
    IDENTITY_ENTERPRISE_LEGAL_REP_PHONE_SUCCEEDED: format_lazy(
        "{}：{}", _("法定代表人手机号认证"), _STATES["succeeded"]
    ),
    IDENTITY_ENTERPRISE_LEGAL_REP_PHONE_FAILED: format_lazy("{}：{}", _("法定代表人手机号认证"), _STATES["failed"]),
    IDENTITY_ENTERPRISE_BANK_CARD_SUCCEEDED: format_lazy("{}：{}", _("企业对公账户打款认证"), _STATES["succeeded"]),
    IDENTITY_ENTERPRISE_BANK_CARD_FAILED: format_lazy("{}：{}", _("企业对公账户打款认证"), _STATES["failed"]),
    IDENTITY_ENTERPRISE_BANK_CARD_CANCELLED: format_lazy("{}：{}", _("企业对公账户打款认证"), _STATES["cancelled"]),
    IDENTITY_REVIEW_APPROVED: _("实名认证人工审核通过"),
    IDENTITY_REVIEW_REJECTED: _("实名认证人工审核驳回"),
    # platforms
    PLATFORM_API_CLIENT_CREATE: _("创建接口客户端"),
    PLATFORM_API_CLIENT_ROTATE: _("轮换接口客户端密钥"),
    PLATFORM_LINK: _("关联交易平台账号"),
    PLATFORM_UNLINK: _("解除交易平台关联"),
    # pki: certificates, PINs, keys, CAs
    CERTIFICATE_ISSUE: _("签发证书"),
    CERTIFICATE_RENEW: _("证书续期"),
    CERTIFICATE_REVOKE: _("吊销证书"),
    CERTIFICATE_REGISTER_EXTERNAL: _("登记外部证书"),
    CERTIFICATE_AUTHORIZE: _("证书授权"),
    CERTIFICATE_AUTHORIZATION_CONFIRM: _("确认证书授权"),
    CERTIFICATE_AUTHORIZATION_RESEND: _("重新发送证书授权确认"),
    CERTIFICATE_AUTHORIZATION_REVOKE: _("撤销证书授权"),
    CERTIFICATE_KEY_DELIVER: _("下发加密密钥"),
    CERTIFICATE_KEY_RECOVER: _("恢复加密密钥"),
    CERTIFICATE_PIN_SET: _("设置云证书PIN码"),
    CERTIFICATE_PIN_CHANGE: _("修改云证书PIN码"),
    CERTIFICATE_PIN_FAILED: _("PIN码错误"),
    CERTIFICATE_PIN_LOCKED: _("PIN码已锁定"),
    CERTIFICATE_PIN_UNLOCKED: _("PIN码解锁"),
    PKI_HIERARCHY: _("建立CA层级"),
    PKI_CRL_ISSUED: _("签发CRL"),
    PKI_TRUSTED_ROOT_ADD: _("添加受信任根证书"),
    # seals
    SEAL_CREATE: _("新增印章"),
    SEAL_BIND: _("印章绑定证书"),
    SEAL_APPROVAL_RULE: _("设置用印审批（印章类型与审批人）"),
    SEAL_APPROVAL_REQUEST: _("提交用印申请"),
    SEAL_APPROVAL_APPROVE: _("审批人同意用印"),
    SEAL_APPROVAL_REJECT: _("审批人驳回用印"),
    SEAL_UNBIND: _("印章解绑证书"),
    SEAL_VOID: _("作废印章"),
    SEAL_MARK_FOR_CHANGE: _("印章标记为待变更"),
    SEAL_ELECTRONIC_SEAL: _("制作电子印章（GB/T 38540）"),
    SEAL_MAKER_CREATED: _("创建制章者"),
    # signing
    SIGN_FLOW_CREATE: _("创建签署流程"),
    SIGN_FLOW_COMPLETE: _("签署流程完成（全部签署人已签署）"),
    SIGN_FLOW_CANCEL: _("交易平台取消签署流程"),
    SIGN_FLOW_REFUSE: _("签署流程因拒签而终止"),
    SIGN_FLOW_EXPIRE: _("签署流程过期"),
    SIGN_FLOW_FAIL: _("签署流程失败"),
    SIGN_FLOW_SIGNER_READY: _("流程签署人轮到签署（已发送签署短信）"),
    SIGN_FLOW_SIGNER_SIGN: _("流程签署人已签署"),
    SIGN_FLOW_SIGNER_REFUSE: _("流程签署人拒签"),
    SIGN_FLOW_SIGNER_FAIL: _("流程签署人签章失败"),
    SIGN_FLOW_SIGNER_REMIND: _("催签（再次发送签署短信）"),
    SIGN_TASK_CREATE: _("创建签署任务"),
    SIGN_TASK_CREATE_SELF_SERVICE: _("创建自助签署任务"),
    SIGN_TASK_CONFIRM: _("签署任务确认"),
    SIGN_TASK_COMPLETE: _("签署任务完成"),
    SIGN_TASK_FAIL: _("签署任务失败"),
    SIGN_TASK_EXPIRE: _("签署任务过期"),
    SIGN_TASK_INTERRUPT: _("签署任务中断"),
    SIGN_TASK_RESUME: _("签署任务恢复执行"),
    SIGNING_SIGN: _("签署文件"),
    PDF_BUDGET_EXCEEDED: _("PDF解析超出资源限制"),
    OFD_HOSTILE_PACKAGE: _("拒绝可疑的OFD文件（压缩炸弹、路径穿越或重名条目）"),
    # orders
    ORDER_PLACE: _("下单"),
    PAYMENT_START: _("发起支付"),
    PAYMENT_SETTLE: _("支付完成"),
    APPLICATION_SUBMIT: _("提交办理单"),
    APPLICATION_CANCEL: _("取消办理单"),
    APPLICATION_APPROVE: _("办理单审核通过"),
    APPLICATION_REJECT: _("办理单驳回"),
    APPLICATION_SHIP: _("发货"),
    APPLICATION_RECEIVE: _("确认收货"),
    APPLICATION_CLIENT_TOKEN: _("签发证书客户端令牌"),
    INVOICE_REQUEST: _("申请发票"),
    INVOICE_ISSUE: _("开具发票"),
    # back office
    AUDIT_CHAIN_REKEYED: _("审计日志链以新密钥重新计算"),
    OPERATOR_LOGIN: _("运营人员登录"),
    OPERATOR_LOGOUT: _("运营人员退出"),
    OPERATOR_LOGIN_FAILED: _("运营人员登录失败"),
    OPERATOR_LOGIN_LOCKED: _("运营人员登录被锁定"),
    OPERATOR_TOTP_ENROLLED: _("绑定动态验证码"),
    OPERATOR_TOTP_RESET: _("重置动态验证码"),
    BACKOFFICE_ADD: _("后台新增记录"),
    BACKOFFICE_CHANGE: _("后台修改记录"),
    BACKOFFICE_CALLBACK_RETRY: _("后台重试平台回调"),
    BACKOFFICE_DELETE: _("后台删除记录"),
}


def describe(event: str) -> str:
    """The Chinese (or translated) description of an event name; "" for an unknown one."""
    description = EVENT_DESCRIPTIONS.get(event)
    return str(description) if description is not None else ""
