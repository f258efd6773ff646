"""The back office speaks Chinese: every column header, field label, model and app group has a
Chinese name (verbose names through gettext), never Django's English fallback from the field name
(HOLDER, CLIENT ID, "Order:", the group "AUDIT")."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.apps import apps
from django.contrib.admin.utils import label_for_field
from django.contrib.auth.models import User
from django.test import Client

import inkseal.urls  # noqa: F401 - registers the back office's model admins
from inkseal.accounts.models import Enterprise
from inkseal.audit.services import Actor, record
from inkseal.backoffice.site import backoffice

pytestmark = pytest.mark.django_db

CHINESE = re.compile(r"[\u4e00-\u9fff]")
UNTRANSLATABLE = {"ID"}  # the row id column: the same in both languages


def ours() -> list[tuple[Any, Any]]:
    return [(model, admin) for model, admin in backoffice._registry.items() if model.__module__.startswith("inkseal")]


def shown_names(admin: Any) -> list[str]:
    names = [*admin.list_display, *admin.readonly_fields, *(admin.fields or [])]
    names += [f for f in admin.list_filter if isinstance(f, str)]
    return [n for n in names if isinstance(n, str) and n not in ("action_checkbox", "__str__")]


def test_every_column_and_field_of_the_back_office_has_a_chinese_label() -> None:
    english = []
    for model, admin in ours():
        for name in shown_names(admin):
            label = str(label_for_field(name, model, admin))
            if label not in UNTRANSLATABLE and not CHINESE.search(label):
                english.append(f"{model._meta.label}.{name}: {label}")
        for field in model._meta.get_fields():
            if getattr(field, "concrete", False) and field.name != "id" and not CHINESE.search(str(field.verbose_name)):
                english.append(f"{model._meta.label}.{field.name}: {field.verbose_name}")
    assert not english, english


def test_every_app_group_and_model_has_a_chinese_name() -> None:
    english = [a.label for a in apps.get_app_configs() if a.name.startswith("inkseal.")]
    english = [label for label in english if not CHINESE.search(str(apps.get_app_config(label).verbose_name))]
    for model, _admin in ours():
        names = (str(model._meta.verbose_name), str(model._meta.verbose_name_plural))
        if not all(CHINESE.search(name) for name in names):
            english.append(model._meta.label)
    assert not english, english


@pytest.fixture
def operator() -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("reviewer", password="a-long-password-1"))
    return client


def test_the_audit_list_and_the_index_show_chinese_headers(operator: Client) -> None:
    record("sign_task.complete", actor=Actor.system(), target="sign_task:1")
    html = operator.get("/backoffice/audit/auditentry/").content.decode()
    headers = re.findall(r'<th scope="col"[^>]*>.*?<div class="text">(?:<a [^>]*>)?([^<]*)<', html, re.S)
    assert "序号" in headers and "IP地址" in headers, headers
    assert all(CHINESE.search(h) for h in headers), headers
    index = operator.get("/backoffice/").content.decode()
    assert "审计" in index and ">Audit<" not in index and "AUDIT" not in index


def test_the_enterprise_type_shows_its_chinese_name(operator: Client, make_person: Any, make_enterprise: Any) -> None:
    enterprise = make_enterprise(make_person())
    Enterprise.objects.filter(pk=enterprise.pk).update(enterprise_type="enterprise")
    assert Enterprise.objects.get().get_enterprise_type_display() == "企业法人"
    html = operator.get("/backoffice/accounts/enterprise/").content.decode()
    assert "企业法人" in html and ">enterprise<" not in html
