"""OFD (GB/T 33190) packages: safe reading, the document model signatures need, verification of
their GB/T 38540 / GM/T 0031 seals and GB/T 35275 signatures, and sealing. Pure: no Django.
See docs/ofd.md."""

from inkseal.signing.core.ofd.errors import OfdError
from inkseal.signing.core.ofd.package import Limits, OfdPackage, looks_like_ofd, open_package
from inkseal.signing.core.ofd.placement import keyword_placements, riding_placements
from inkseal.signing.core.ofd.sign import StampPlacement, seal_ofd, ses_timestamper
from inkseal.signing.core.ofd.verify import OfdReport, SignatureReport, verify_ofd

__all__ = [
    "Limits",
    "OfdError",
    "OfdPackage",
    "OfdReport",
    "SignatureReport",
    "StampPlacement",
    "keyword_placements",
    "looks_like_ofd",
    "open_package",
    "riding_placements",
    "seal_ofd",
    "ses_timestamper",
    "verify_ofd",
]
