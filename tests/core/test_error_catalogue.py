"""One error catalogue: every DomainError class carries a unique code, its HTTP status and its
default message (a wrapped msgid, Chinese source, translated when shown); one mapping turns
them into responses; the per-module code → message tables are gone."""

from __future__ import annotations

import ast
import importlib
import json
import pkgutil
import re
from pathlib import Path

import pytest
from django.test import RequestFactory
from django.utils import translation
from django.utils.functional import Promise

import inkseal
from inkseal.core.errors import DomainError, LazyText
from inkseal.core.http import error_response

SOURCE = Path(inkseal.__file__).parent
CJK = re.compile(r"[\u4e00-\u9fff]")
# Single sign-on refusals are one family whose code names the failed check (accounts.sso, .oidc);
# every other code belongs to exactly one class.
CODE_FAMILIES = {"SsoError"}


def _import_everything() -> None:
    for module in pkgutil.walk_packages(inkseal.__path__, "inkseal."):
        if ".migrations" not in module.name and not module.name.endswith(("wsgi", "asgi")):
            importlib.import_module(module.name)


def _subclasses(cls: type) -> set[type]:
    found = set()
    for sub in cls.__subclasses__():
        found |= {sub, *_subclasses(sub)}
    return found


def error_classes() -> list[type[DomainError]]:
    _import_everything()
    ours = [c for c in _subclasses(DomainError) | {DomainError} if c.__module__.startswith("inkseal.")]
    return sorted(ours, key=lambda c: (c.__module__, c.__qualname__))


def _label(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _python_files() -> list[Path]:
    return [p for p in sorted(SOURCE.rglob("*.py")) if "migrations" not in p.parts]


def test_every_error_class_has_its_own_unique_code():
    owners: dict[str, list[str]] = {}
    for cls in error_classes():
        if cls.__name__.startswith("_"):
            continue  # a module's private variant of a public error (parsing.budget._Overrun)
        assert "code" in vars(cls), f"{_label(cls)} has no code of its own"
        owners.setdefault(cls.code, []).append(_label(cls))
    shared = {code: classes for code, classes in owners.items() if len(classes) > 1}
    assert shared == {}
    assert len(owners) > 150  # the scan saw the whole project


def test_every_error_has_a_wrapped_message_in_chinese():
    for cls in error_classes():
        message = vars(cls).get("default_message") if not cls.__name__.startswith("_") else cls.default_message
        assert message is not None, f"{_label(cls)} has no default message"
        assert isinstance(message, LazyText | Promise), f"{_label(cls)}: the message is not wrapped for translation"
        with translation.override("zh-hans"):
            assert CJK.search(str(message)), _label(cls)


def test_default_messages_are_marked_for_makemessages():
    """`default_message = gettext_lazy("…")` (or `_`), a literal msgid: xgettext can extract it."""
    unmarked = []
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Assign | ast.AnnAssign):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                if any(isinstance(t, ast.Name) and t.id == "default_message" for t in targets):
                    value = node.value
                    ok = (
                        isinstance(value, ast.Call)
                        and getattr(value.func, "id", "") in {"gettext_lazy", "_"}
                        and isinstance(value.args[0], ast.Constant)
                    )
                    if not ok:
                        unmarked.append(f"{path.relative_to(SOURCE)}:{node.lineno}")
    assert unmarked == []


def test_english_readers_get_english_where_the_catalogue_has_it():
    """The same class, read in English: translated messages contain no Chinese (new msgids wait
    for the lead's makemessages run and read in Chinese until then)."""
    translated = 0
    for cls in error_classes():
        message = cls.default_message
        with translation.override("zh-hans"):
            source = str(message)
        with translation.override("en"):
            english = str(message)
        if english != source:
            translated += 1
            assert not CJK.search(english), (_label(cls), english)
    assert translated > 50
    from inkseal.signing.core.errors import PdfNotPdf

    with translation.override("en"):
        assert str(PdfNotPdf("no %PDF- header").localised().message) == "This file is not a PDF."


def test_the_old_tables_are_gone():
    for module, names in {
        "inkseal.signing.verification.services": ["_PDF_MESSAGES"],
        "inkseal.pki.services": ["_CSR_MESSAGES"],
        "inkseal.seals.errors": ["MESSAGES", "localise"],
        "inkseal.identity.errors": ["LIVENESS_MESSAGES", "IMAGE_MESSAGES", "liveness_message", "UNVERIFIED_MESSAGE"],
        "inkseal.seals.ses_services": ["SesUnreadable", "SesFileMissing"],
        "inkseal.seals.ses_verify_services": ["SesUnreadable", "SesFileMissing"],
    }.items():
        left = [name for name in names if hasattr(importlib.import_module(module), name)]
        assert left == [], module
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("inkseal.signing.messages")


def test_no_dict_maps_error_codes_to_messages():
    """A new code → message table would be a dict literal keyed by error codes."""
    codes = {cls.code for cls in error_classes()}
    tables = []
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Dict):
                keys = [k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
                if sum(key in codes for key in keys) >= 3:
                    tables.append(f"{path.relative_to(SOURCE)}:{node.lineno}")
    assert tables == []


def test_no_call_site_invents_a_code():
    """`SomeError(..., code="x")` would make a code without a class; only the SSO family may."""
    names = {cls.__name__ for cls in error_classes()} - CODE_FAMILIES
    invented = []
    for path in _python_files():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in names:
                if any(keyword.arg == "code" for keyword in node.keywords):
                    invented.append(f"{path.relative_to(SOURCE)}:{node.lineno}")
    assert invented == []


def test_pages_and_api_answer_a_refusal_through_one_mapping():
    from inkseal.api import domain_error
    from inkseal.seals.errors import SealNotFound

    factory = RequestFactory()
    error = SealNotFound()
    with translation.override("zh-hans"):  # no LocaleMiddleware here: another test's language may linger
        page = error_response(factory.get("/seals/9/", HTTP_ACCEPT="text/html"), error)
        api = domain_error(factory.get("/api/v1/seals/9"), error)
    assert page.status_code == api.status_code == 404
    assert "印章不存在。" in page.content.decode()
    assert json.loads(api.content) == {"error": "seal_not_found", "message": "印章不存在。"}
