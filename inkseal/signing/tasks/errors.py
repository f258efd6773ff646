"""The sign-task errors: each carries its stable code and the message in the user's language."""

from __future__ import annotations

import logging

from inkseal.core.errors import DomainError

log = logging.getLogger(__name__)


class SpecInvalid(DomainError):
    code = "spec_invalid"


class ConfirmTokenExpired(DomainError):
    code = "confirm_token_expired"
    status = 410


class ConfirmTokenUsed(DomainError):
    code = "confirm_token_used"
    status = 409


class IntentMissing(DomainError):
    code = "intent_not_confirmed"
    status = 409


class TaskNotReady(DomainError):
    code = "task_not_ready"
    status = 409


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"
    status = 409


class SigningInternalError(DomainError):
    """An unexpected error signing one document (logged with its traceback; the user and the
    platform get this code, never the exception)."""

    code = "signing_internal_error"
    status = 500


class SigningInterrupted(DomainError):
    """The worker signing the task stopped and the task could not be resumed."""

    code = "signing_interrupted"
    status = 500


class TaskTakenOver(Exception):
    """This worker no longer holds the task (the recovery job took it over): stop, commit nothing."""
