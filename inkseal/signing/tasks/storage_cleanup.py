"""Signed files that no committed row references: what a worker killed between storing a signed
document and committing its row leaves on disk (issue #20).

A document is signed outside any transaction and its file stored (`signing/signed/%Y/%m/
<task>-<n>-signed*.pdf`) before the short transaction that commits the row pointing at it. A
worker that dies in between leaves the file behind, and the resumed run stores another one. When
the recovery job takes a task over (a new lease: no file stored under an earlier lease can ever be
committed any more), every signed file of that task that no committed document row names is
therefore garbage and is deleted, before the resumed run signs again (or after the task is failed).
"""

from __future__ import annotations

import logging
import posixpath
from datetime import date, datetime, timedelta

from django.core.files.storage import Storage
from django.utils import timezone

from inkseal.signing.models import SignDocument, SignTask

log = logging.getLogger(__name__)

_SIGNED_FIELD = SignDocument._meta.get_field("signed")


def _storage() -> Storage:
    return _SIGNED_FIELD.storage  # type: ignore[attr-defined, no-any-return]


def _months(start: datetime, end: datetime) -> list[date]:
    """The first day of each month from `start` to `end` with a day's margin either side (the
    upload directory is named by the worker's local clock, not UTC)."""
    first = (start - timedelta(days=1)).date().replace(day=1)
    last = (end + timedelta(days=1)).date()
    months = []
    while first <= last:
        months.append(first)
        first = (first + timedelta(days=32)).replace(day=1)
    return months


def signed_files_of(task: SignTask, now: datetime | None = None) -> list[str]:
    """Storage names of every signed file stored for `task` (committed or not)."""
    storage = _storage()
    prefix = f"{task.public_id}-"
    names = []
    for month in _months(task.created_at, now or timezone.now()):
        directory = month.strftime(str(_SIGNED_FIELD.upload_to)).rstrip("/")  # type: ignore[attr-defined]
        try:
            _dirs, files = storage.listdir(directory)
        except (FileNotFoundError, NotADirectoryError):
            continue
        names += [posixpath.join(directory, name) for name in files if name.startswith(prefix)]
    return sorted(names)


def uncommitted_signed_files(task: SignTask, now: datetime | None = None) -> list[str]:
    """The task's signed files that no committed document row references."""
    kept = set(SignDocument.objects.filter(task=task).exclude(signed="").values_list("signed", flat=True))
    return [name for name in signed_files_of(task, now) if name not in kept]


def discard_uncommitted_signed_files(task_id: int) -> int:
    """Delete the signed files of a task just taken over that no committed row references (call it
    once the takeover has committed); how many were deleted. Never raises: a storage failure is
    logged and leaves the files for the next takeover, it does not stop the recovery."""
    task = SignTask.objects.filter(pk=task_id).first()
    if task is None:
        return 0
    storage = _storage()
    try:
        orphans = uncommitted_signed_files(task)
        for name in orphans:
            storage.delete(name)
    except Exception:
        log.exception("sign task %s: the signed files of an interrupted run could not be deleted", task.public_id)
        return 0
    if orphans:
        log.warning("sign task %s: deleted %d signed file(s) of an interrupted run", task.public_id, len(orphans))
    return len(orphans)
