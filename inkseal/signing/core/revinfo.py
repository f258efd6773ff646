"""Validating the signer (and the TSA) before signing, keeping the paths for the DSS."""

from __future__ import annotations

from pyhanko.sign.general import SigningError
from pyhanko.sign.timestamps import TimeStamper, TimestampRequestError
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator.errors import PathBuildingError, PathValidationError, ValidationError
from pyhanko_certvalidator.path import ValidationPath

from inkseal.signing.core.errors import SignerCertificateInvalid, TimestampFailed
from inkseal.signing.core.signer import SealSigner

SIGNER_KEY_USAGE = frozenset({"non_repudiation"})


async def collect_validation_paths(
    signer: SealSigner, timestamper: TimeStamper | None, context: ValidationContext | None
) -> list[ValidationPath]:
    """Refuse to sign with a certificate that is untrusted, expired or revoked now.

    Without a validation context nothing is checked here (the caller's own checks apply).
    """
    if context is None:
        return []
    paths = [await _signer_path(signer, context)]
    if timestamper is not None:
        paths.extend(await _tsa_paths(timestamper, context))
    return paths


async def _signer_path(signer: SealSigner, context: ValidationContext) -> ValidationPath:
    validator = CertificateValidator(
        signer.certificate, intermediate_certs=signer.cert_registry, validation_context=context
    )
    try:
        return await validator.async_validate_usage(set(SIGNER_KEY_USAGE))
    except (PathBuildingError, PathValidationError, ValidationError) as exc:
        raise SignerCertificateInvalid(f"the signer's certificate does not validate: {exc}") from exc


async def _tsa_paths(timestamper: TimeStamper, context: ValidationContext) -> list[ValidationPath]:
    try:
        return [path async for path in timestamper.validation_paths(context)]
    except (TimestampRequestError, SigningError, OSError) as exc:
        raise TimestampFailed(f"the time-stamping authority cannot be reached: {exc}") from exc
    except (PathBuildingError, PathValidationError, ValidationError) as exc:
        raise TimestampFailed(f"the time-stamping authority's certificate does not validate: {exc}") from exc
