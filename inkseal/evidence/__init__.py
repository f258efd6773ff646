"""Evidence (存证): the platform's transparency log.

Every signing event, certificate issuance and revocation and seal creation and voiding becomes a
leaf of an RFC 9162 Merkle tree (`merkle`, pure); signed checkpoints in the C2SP format
(`checkpoint`, pure) let anyone outside check inclusion and consistency. See docs/evidence.md.
"""
