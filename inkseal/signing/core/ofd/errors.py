"""Refusals of the OFD core, each with a stable code (see inkseal.core.errors). Pure."""

from __future__ import annotations

from inkseal.core.errors import DomainError


class OfdError(DomainError):
    """The uploaded file cannot be read or signed as an OFD document."""

    code = "ofd_invalid"


class OfdMalformed(OfdError):
    """A ZIP that is not a readable OFD package (XML, structure, references)."""

    code = "ofd_malformed"


class OfdNotOfd(OfdMalformed):
    """Not a ZIP at all, or a ZIP without OFD.xml."""

    code = "ofd_not_ofd"


class OfdTruncated(OfdMalformed):
    code = "ofd_truncated"


class OfdUnsafePath(OfdMalformed):
    """An entry name that could escape the package: `..`, absolute, drive letters, backslashes."""

    code = "ofd_unsafe_path"


class OfdDuplicateEntry(OfdMalformed):
    """Two entries with the same name: readers would disagree on which one is the document."""

    code = "ofd_duplicate_entry"


class OfdEncrypted(OfdError):
    code = "ofd_encrypted"


class OfdTooLarge(OfdError):
    code = "ofd_too_large"
    status = 413


class OfdZipBomb(OfdTooLarge):
    """Declared or actual sizes beyond the limits, or a compression ratio no document has."""

    code = "ofd_zip_bomb"


class OfdLocked(OfdError):
    """An existing signature protects Signatures.xml: another seal would break it."""

    code = "ofd_locked"
    status = 409


class OfdSealNotForSigner(OfdError):
    """The seal does not list the signer's certificate, or the key does not match it."""

    code = "ofd_seal_not_for_signer"
    status = 409


class OfdTimestampUnsupported(OfdError):
    """GM/T 0031 signatures have no field for a time stamp."""

    code = "ofd_timestamp_unsupported"
    status = 422
