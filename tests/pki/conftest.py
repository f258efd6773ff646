"""PKI fixtures: a test hierarchy in a soft keystore, OpenSSL as the independent peer, SoftHSM2.

Pure: nothing here touches the database.
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
