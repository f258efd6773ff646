"""Every audit event name has a Chinese description (inkseal/audit/events.py), and the back office
shows it beside the raw name.

Event names are the constants of inkseal.audit.events (tests/audit/test_event_names.py fails on a
call that spells one), so one table keyed by those constants covers every event the code records:
each constant has a description, each description names a constant, and the state machines'
transitions name constants too."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import translation

from inkseal.audit import events
from inkseal.audit.events import EVENT_DESCRIPTIONS, describe
from inkseal.audit.services import Actor, record


def test_every_event_has_a_description_in_chinese() -> None:
    missing = sorted(events.all_events() - set(EVENT_DESCRIPTIONS))
    assert not missing, missing
    with translation.override("zh-hans"):  # another test's language may linger in this thread
        assert all(re.search(r"[\u4e00-\u9fff]", str(text)) for text in EVENT_DESCRIPTIONS.values())


def test_descriptions_name_real_events() -> None:
    stale = sorted(set(EVENT_DESCRIPTIONS) - events.all_events())
    assert not stale, stale


def test_state_machines_record_defined_events() -> None:
    from inkseal.core.states import load_machines

    named = {t.event for machine in load_machines().values() for t in machine.transitions if t.event}
    assert named and named <= events.all_events()


@pytest.mark.django_db
def test_the_back_office_shows_the_description_beside_the_code() -> None:
    record(events.SIGN_TASK_COMPLETE, actor=Actor.system(), target="sign_task:1")
    client = Client()
    client.force_login(User.objects.create_superuser("reviewer", password="a-long-password-1"))
    html = client.get("/backoffice/audit/auditentry/").content.decode()
    assert "sign_task.complete" in html and "签署任务完成" in html
    assert describe("sign_task.complete") == "签署任务完成" and describe("no.such_event") == ""
