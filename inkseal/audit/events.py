"""Audit event names: every `record(...)` names its event with one of these constants.

One place holds the log's vocabulary, so a reader (or the back office, which may later carry a
description per event here) sees every kind of entry, and a typo cannot invent a new event.
Values are stored in AuditEntry.event: never rename a value, only add new ones.
"""

from __future__ import annotations

from typing import Final

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
