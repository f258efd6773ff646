"""Domain errors: every refusal a user can meet is one of these, with a stable code.

The catalogue is the classes themselves: each carries its `code` (stable, part of the API), its
HTTP `status` and its `default_message`, written once in Chinese (the source language) and
translated when it is shown. One mapping (core.http.error_response, used by the pages'
middleware and the API's exception handler) turns them into 4xx responses; nothing below the
views knows about HTTP beyond the status kept here.

No Django here: the pure core (PDF, PKI, seal images) raises these too. Messages are marked with
this module's `gettext_lazy`, which makemessages extracts by name like Django's own; the core app
installs Django's gettext as the translator when it starts (core.apps), so `str(message)` is in
the user's language from then on.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Self

_translate: Callable[[str], str] = str


def use_translator(translate: Callable[[str], str]) -> None:
    """Install the function that translates a msgid (django.utils.translation.gettext)."""
    global _translate
    _translate = translate


class LazyText:
    """A msgid translated each time it is turned into text (Django's lazy strings, without Django)."""

    def __init__(self, msgid: str):
        self.msgid = msgid

    def __str__(self) -> str:
        return _translate(self.msgid)

    def __mod__(self, params: Any) -> str:
        return str(self) % params

    def __repr__(self) -> str:
        return f"LazyText({self.msgid!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LazyText) and other.msgid == self.msgid

    def __hash__(self) -> int:
        return hash(self.msgid)


def gettext_lazy(msgid: str) -> LazyText:
    """Mark a message for translation in Django-free modules (same name, so makemessages finds it)."""
    return LazyText(msgid)


class Wording:
    """The default message of one raised error: its class's message filled with the error's
    parameters, and the class's hint after it. Lazy, so it speaks the language of whoever reads it."""

    def __init__(self, message: Any, params: Mapping[str, Any], hint: Any = None):
        self.message, self.params, self.hint = message, params, hint

    def __str__(self) -> str:
        text = str(self.message)
        if "%(" in text:
            text = text % {key: _plain(value) for key, value in self.params.items()}
        return text + (str(self.hint) if self.hint else "")

    def __repr__(self) -> str:
        return f"Wording({str(self)!r})"


def _plain(value: Any) -> Any:
    return value if isinstance(value, int | float | str) else str(value)


class DomainError(Exception):
    """A refusal with a stable machine code and a message for the user.

    Raised without a message, the user reads `default_message` (filled from the error's
    details, see `params`). Raised with one, the user reads that one: views and services
    pass a message in the user's language when the situation says more than the default.
    The pure core raises with English text for logs; `localised()` gives such an error its
    default message at the boundary, keeping the English as details["detail"].
    """

    code = "invalid"
    status = 400
    default_message: Any = gettext_lazy("请求无效。")
    hint: Any = None  # said after the default message (e.g. what the user can do instead)
    speaks_english = False  # the pure core's errors: raised with English for logs, see localised()

    def __init__(self, message: Any = None, *, code: str | None = None, status: int | None = None, **details: Any):
        if code:
            self.code = code
        if status:
            self.status = status
        self.details = details
        self.message: Any = message if message not in (None, "") else self.default_wording()
        super().__init__(str(message) if message not in (None, "") else "")

    def params(self) -> Mapping[str, Any]:
        """The values `default_message` may name as %(key)s; the details unless a class says more."""
        return self.details

    def default_wording(self) -> Wording:
        return Wording(self.default_message, self.params(), self.hint)

    def localised(self, *, keep_detail: bool = True) -> Self:
        """This error with its default message in the user's language (the pure core speaks
        English); the English text is kept as details["detail"] for support. An error raised
        above the core already speaks the user's language and is returned as it is."""
        if not self.speaks_english:
            return self
        if keep_detail:
            self.details = {"detail": str(self.message)[:200], **self.details}
        self.message = self.default_wording()
        return self

    def as_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"error": self.code, "message": str(self.message)}
        if self.details:
            body["details"] = self.details
        return body


class NotFound(DomainError):
    code = "not_found"
    status = 404
    default_message: Any = gettext_lazy("未找到该对象。")


class PermissionDenied(DomainError):
    code = "forbidden"
    status = 403
    default_message: Any = gettext_lazy("没有权限访问。")


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429
    default_message: Any = gettext_lazy("操作过于频繁，请稍后再试。")


class Conflict(DomainError):
    code = "conflict"
    status = 409
    default_message: Any = gettext_lazy("该操作与当前状态冲突，请刷新后重试。")


class FileMissing(DomainError):
    """A form or an API call that needs an uploaded file arrived without it."""

    code = "file_missing"
    default_message: Any = gettext_lazy("请选择要上传的文件。")
