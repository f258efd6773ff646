"""Fixtures for the pure OFD tests: the throwaway SM2 PKI (tests.helpers.sm2_pki), its seal maker,
a GB/T 38540 seal for its signer, the trust anchors, and a time stamper."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from inkseal.pki.oids import POLICY_SEAL_MAKER
from inkseal.seals import ses, ses_make
from inkseal.seals.ses_chain import ChainValidator
from inkseal.seals.ses_verify import SesTrust
from inkseal.signing.core.ofd.sign import ses_timestamper
from inkseal.signing.core.signer import SealSigner
from tests.helpers.sm2_pki import Sm2TestPki, make_sm2_test_pki

CORPUS = Path("/work/shared/corpus/ofd")
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@dataclass
class OfdSealing:
    pki: Sm2TestPki
    seal: bytes
    signer: SealSigner
    trust: SesTrust
    timestamper: Callable[[bytes], bytes]

    def make_seal(self, certificates: list[bytes], **overrides: object) -> bytes:
        maker = self.pki.hierarchy.seal_maker
        assert maker is not None
        now = datetime.now(UTC)
        fields: dict[str, object] = {
            "maker_certificate": maker.certificate.der,
            "maker_key": self.pki.keystore.signer(maker.key_id),
            "es_id": "1101080000001A2B",
            "seal_type": ses.SEAL_TYPE_UNIT,
            "name": "国密测试科技有限公司合同专用章",
            "signer_certificates": certificates,
            "picture": ses.Picture("PNG", PNG, 40, 40),
            "created": now - timedelta(hours=1),
            "valid_start": now - timedelta(hours=1),
            "valid_end": now + timedelta(days=30),
        }
        fields.update(overrides)
        return ses_make.make_seal(**fields)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def sealing() -> OfdSealing:
    pki = make_sm2_test_pki()
    root, issuing = pki.root.der, pki.issuing.der
    trust = SesTrust(
        makers=ChainValidator([root], [issuing], policy=POLICY_SEAL_MAKER),
        signers=ChainValidator([root], [issuing]),
        timestamps=ChainValidator([root], [issuing], extended_key_usage="time_stamping"),
    )
    nonces = itertools.count(1)
    holder = OfdSealing(pki, b"", pki.seal_signer(), trust, ses_timestamper(pki.timestamper().respond, nonces.__next__))
    holder.seal = holder.make_seal([pki.signer_cert.der])
    return holder
