"""Files on an S3-compatible object store (INKSEAL_S3_BUCKET, django-storages' S3Storage), tested
against moto's server mode: a real HTTP S3 endpoint on loopback, the only S3 server installable
on this machine from the package registries (production: MinIO, Ceph RGW, Alibaba OSS, Tencent
COS or AWS S3; docs/scaling.md). The objects are read back with boto3 directly, not through our
code: seal images and the original and signed documents of a task signed through the API are in
the bucket, the signed one byte for byte what the platform downloaded, and nothing was written to
the local media directory.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from inkseal import conf
from inkseal.signing.models import SignTask
from inkseal.signing.tasks.storage_cleanup import discard_uncommitted_signed_files, uncommitted_signed_files
from tests.helpers.s3_server import moto_s3, s3_client, storage_env
from tests.pki.conftest import ca_hierarchy, verified_enterprise, verified_person  # noqa: F401
from tests.signing.api_support import Signing, make_signing, sign_through_api, text_pdf

BUCKET = "inkseal-test"


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """moto's S3 server on a free loopback port, with an empty bucket."""
    with moto_s3(tmp_path_factory.mktemp("moto") / "moto.log", BUCKET) as endpoint:
        yield endpoint


def _objects(endpoint: str) -> dict[str, bytes]:
    client = s3_client(endpoint)
    listed = client.list_objects_v2(Bucket=BUCKET).get("Contents", [])
    return {item["Key"]: client.get_object(Bucket=BUCKET, Key=item["Key"])["Body"].read() for item in listed}


@pytest.fixture
def on_s3(s3_endpoint: str, settings: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    """The default storage as the settings make it from INKSEAL_S3_* (under a prefix of this test)."""
    for name, value in storage_env(s3_endpoint, BUCKET, prefix=f"t{time.monotonic_ns()}").items():
        monkeypatch.setenv(name, value)
    prefix = os.environ["INKSEAL_S3_PREFIX"]
    storage = conf.object_storage()
    assert storage is not None and storage["BACKEND"] == "storages.backends.s3.S3Storage"
    settings.STORAGES = {**settings.STORAGES, "default": storage}
    settings.MEDIA_ROOT = str(tmp_path / "local-media")  # must stay empty
    settings.SMS_PHONE_INTERVAL_SECONDS = 0
    return prefix


def test_without_a_bucket_files_stay_in_the_local_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("INKSEAL_S3_BUCKET", raising=False)
    assert conf.object_storage() is None


@pytest.mark.django_db
def test_a_task_signed_through_the_api_keeps_its_files_in_the_bucket(
    on_s3: str,
    s3_endpoint: str,
    settings: Any,
    ca_hierarchy: Any,  # noqa: F811
    verified_person: Any,  # noqa: F811
    verified_enterprise: Any,  # noqa: F811
) -> None:
    signing: Signing = make_signing(verified_person, verified_enterprise)
    signed = sign_through_api(signing, [("bid.pdf", text_pdf())], signing.spec())
    objects = _objects(s3_endpoint)
    ours = {key.removeprefix(f"{on_s3}/"): data for key, data in objects.items() if key.startswith(f"{on_s3}/")}
    seal_images = [key for key in ours if key.startswith("seals/")]
    originals = [key for key in ours if key.startswith("signing/original/")]
    signed_files = [key for key in ours if key.startswith("signing/signed/")]
    assert len(seal_images) == len(signing.seals) and all(ours[key].startswith(b"\x89PNG") for key in seal_images)
    assert len(originals) == 1 and ours[originals[0]] == text_pdf()
    assert len(signed_files) == 1 and ours[signed_files[0]] == signed and signed.startswith(b"%PDF")
    assert not os.path.exists(settings.MEDIA_ROOT) or not any(Path(settings.MEDIA_ROOT).rglob("*.*"))


@pytest.mark.django_db
def test_the_recovery_cleanup_finds_and_deletes_stray_signed_files_in_the_bucket(
    on_s3: str,
    s3_endpoint: str,
    ca_hierarchy: Any,  # noqa: F811
    verified_person: Any,  # noqa: F811
    verified_enterprise: Any,  # noqa: F811
) -> None:
    """What a worker killed between storing a signed file and committing its row leaves: the
    takeover lists the task's signed files in the bucket and deletes those no row names."""
    signing = make_signing(verified_person, verified_enterprise)
    sign_through_api(signing, [("bid.pdf", text_pdf())], signing.spec())
    task = SignTask.objects.get()
    month = timezone.localtime(timezone.now()).strftime("%Y/%m")
    stray = default_storage.save(f"signing/signed/{month}/{task.public_id}-1-signed.pdf", ContentFile(b"%PDF-1.7 x"))
    assert uncommitted_signed_files(task, timezone.now() + timedelta(seconds=1)) == [stray]
    assert discard_uncommitted_signed_files(task.pk) == 1
    keys = [key for key in _objects(s3_endpoint) if key.startswith(f"{on_s3}/signing/signed/")]
    assert keys == [f"{on_s3}/{task.documents.get().signed.name}"]
