"""PKI fixtures: a test hierarchy in a soft keystore, OpenSSL as the independent peer, SoftHSM2.

The pure fixtures touch no database; the ones at the end (ca_hierarchy, verified_*) are for the Django layer.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from inkseal.pki.algorithms import ECDSA_P256, RSA_2048
from inkseal.pki.hierarchy import Hierarchy, bootstrap_hierarchy
from inkseal.pki.keystores.soft import KeyEncryptionKey, MemoryBlobStore, SoftKeystore
from inkseal.pki.x509 import Certificate, PublicUrls

SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
SOFTHSM_PIN = "1234"
SOFTHSM_LABEL = "inkseal-test"


@pytest.fixture(scope="session")
def urls() -> PublicUrls:
    return PublicUrls("https://ca.inkseal.test/")


@pytest.fixture(scope="session")
def keystore() -> SoftKeystore:
    return SoftKeystore(MemoryBlobStore(), KeyEncryptionKey.generate())


@pytest.fixture(scope="session")
def hierarchy(keystore: SoftKeystore, urls: PublicUrls) -> Hierarchy:
    # RSA-2048 rather than the production RSA-3072 default keeps key generation quick in tests.
    return bootstrap_hierarchy(
        keystore,
        urls=urls,
        organization="Inkseal Test",
        now=datetime.now(UTC),
        root_algorithm=RSA_2048,
        issuing_algorithms=(RSA_2048, ECDSA_P256),
        tsa_algorithm=RSA_2048,
    )


@dataclass
class OpenSSL:
    """Runs the openssl command line in a scratch directory."""

    workdir: Path

    def write(self, name: str, data: bytes | str) -> Path:
        path = self.workdir / name
        path.write_bytes(data.encode() if isinstance(data, str) else data)
        return path

    def write_certs(self, name: str, *certificates: Certificate) -> Path:
        return self.write(name, "".join(c.pem() for c in certificates))

    def __call__(self, *args: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            ["openssl", *map(str, args)], cwd=self.workdir, capture_output=True, text=True, check=False
        )
        if check and result.returncode != 0:
            raise AssertionError(f"openssl {' '.join(map(str, args))} failed:\n{result.stdout}\n{result.stderr}")
        return result


@pytest.fixture
def openssl(tmp_path: Path) -> OpenSSL:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command line is not installed")
    return OpenSSL(tmp_path)


@pytest.fixture(scope="session")
def softhsm_token(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A throwaway SoftHSM2 token; yields the module path. CI installs softhsm2."""
    if shutil.which("softhsm2-util") is None or not Path(SOFTHSM_MODULE).exists():
        pytest.skip("SoftHSM2 is not installed (apt-get install softhsm2)")
    root = tmp_path_factory.mktemp("softhsm")
    (root / "tokens").mkdir()
    config = root / "softhsm2.conf"
    config.write_text(f"directories.tokendir = {root / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n")
    previous = os.environ.get("SOFTHSM2_CONF")
    os.environ["SOFTHSM2_CONF"] = str(config)
    subprocess.run(
        ["softhsm2-util", "--init-token", "--free", "--label", SOFTHSM_LABEL, "--pin", SOFTHSM_PIN, "--so-pin", "5678"],
        check=True,
        capture_output=True,
    )
    yield SOFTHSM_MODULE
    if previous is None:
        os.environ.pop("SOFTHSM2_CONF", None)
    else:
        os.environ["SOFTHSM2_CONF"] = previous


# --- database fixtures (the Django layer) -----------------------------------------------------
# Generating a hierarchy costs about a second of key generation: do it once per session, then put
# the same rows back into each test's database (transactional tests flush them).

_hierarchy_rows: dict[str, list[object]] = {}


@pytest.fixture
def ca_hierarchy(db: object) -> dict[str, object]:
    from django.core.management.color import no_style
    from django.db import connection

    from inkseal.pki.authorities import hierarchy_changed
    from inkseal.pki.authority_setup import ensure_hierarchy
    from inkseal.pki.models import CertificateAuthority, KeyBlob

    if not CertificateAuthority.objects.exists():
        if _hierarchy_rows:
            KeyBlob.objects.bulk_create(_hierarchy_rows["blobs"])  # type: ignore[arg-type]
            CertificateAuthority.objects.bulk_create(_hierarchy_rows["cas"])  # type: ignore[arg-type]
            with connection.cursor() as cursor:
                for sql in connection.ops.sequence_reset_sql(no_style(), [KeyBlob, CertificateAuthority]):
                    cursor.execute(sql)
            hierarchy_changed()  # responders cached by an earlier test may hold another hierarchy
        else:
            ensure_hierarchy()
            _hierarchy_rows["blobs"] = list(KeyBlob.objects.all())
            _hierarchy_rows["cas"] = list(CertificateAuthority.objects.order_by("pk"))
    return {ca.ca_id: ca for ca in CertificateAuthority.objects.all()}


@pytest.fixture
def verified_person(make_person):  # type: ignore[no-untyped-def]
    from tests.conftest import make_id_number

    counter = iter(range(1, 1000))

    def factory(name: str = "张三", phone: str | None = None):  # type: ignore[no-untyped-def]
        return make_person(name=name, phone=phone, verified=True, id_number=make_id_number(next(counter)))

    return factory


@pytest.fixture
def verified_enterprise(make_enterprise):  # type: ignore[no-untyped-def]
    from inkseal.accounts.models import EnterpriseState, Membership

    def factory(admin, name: str = "示例科技有限公司", role: str = Membership.Role.ADMIN):  # type: ignore[no-untyped-def]
        enterprise = make_enterprise(admin, name=name, role=role)
        enterprise.state = EnterpriseState.VERIFIED
        enterprise.save(update_fields=["state"])
        return enterprise

    return factory


@pytest.fixture(autouse=True)
def _chinese() -> Iterator[None]:
    """Messages are asserted in Chinese, whatever language an earlier test's request left active."""
    from django.utils import translation

    with translation.override("zh-hans"):
        yield
