"""Checkpoints (signed tree heads) in the C2SP tlog-checkpoint format, as C2SP signed notes. Pure.

A checkpoint's text is three lines: the log's origin, the tree size in decimal, the root hash in
standard base64; then a blank line and one signature line per key:

    inkseal.example/log
    1234
    b64(root)

    — inkseal.example/log <base64(key ID || signature)>

The note's signatures cover the text including its final newline. Witnesses and monitors of the
C2SP ecosystem parse this as is and, per the signed-note spec, ignore signature lines from keys
they do not know.

Key types. The issue asks for ECDSA and SM2 log keys held in the platform keystore (the C2SP
ecosystem's usual log key is Ed25519, which our keystore does not hold). Signed-note reserves the
signature-type byte 0xff for types named by an identifier string, so ours are
`0xff || "inkseal-ecdsa-p256-sha256"` (ECDSA P-256, SHA-256, DER signature) and
`0xff || "inkseal-sm2-sm3"` (SM2 with SM3 and the default user ID, DER signature).
Key ID, as signed-note recommends: SHA-256(key name || 0x0A || signature type || public key)[:4],
where the public key is the key's DER SubjectPublicKeyInfo. A verifier key (the text a log
publishes for witnesses) is `<name>+<hex key ID>+<base64(signature type || SPKI DER)>`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from inkseal.pki.algorithms import KeyHandle, PublicKey, load_public_key

DASH = "\u2014"
MAX_SIGNATURES = 100
SIGNATURE_TYPES = {
    "ecdsa-p256": b"\xffinkseal-ecdsa-p256-sha256",
    "sm2": b"\xffinkseal-sm2-sm3",
}


class NoteInvalid(Exception):
    """A note or checkpoint that is malformed or not signed by a trusted key; `str()` says why."""


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def text(self) -> str:
        lines = [self.origin, str(self.size), base64.b64encode(self.root).decode(), *self.extensions]
        return "\n".join(lines) + "\n"


def check_name(name: str) -> str:
    if not name or any(c.isspace() or c == "+" for c in name):
        raise ValueError("a key name is non-empty and has no spaces and no '+'")
    return name


def signature_type(algorithm_name: str) -> bytes:
    try:
        return SIGNATURE_TYPES[algorithm_name]
    except KeyError:
        raise ValueError(f"no checkpoint signature type for {algorithm_name} keys") from None


def key_id(name: str, sig_type: bytes, spki_der: bytes) -> bytes:
    return hashlib.sha256(check_name(name).encode() + b"\n" + sig_type + spki_der).digest()[:4]


@dataclass(frozen=True)
class Verifier:
    """A published log key: its name, key ID and public key."""

    name: str
    key_id: bytes
    public_key: PublicKey

    @classmethod
    def for_key(cls, name: str, public_key: PublicKey) -> Verifier:
        return cls(name, key_id(name, signature_type(public_key.algorithm.name), public_key.spki_der), public_key)

    def text(self) -> str:
        sig_type = signature_type(self.public_key.algorithm.name)
        blob = base64.b64encode(sig_type + self.public_key.spki_der).decode()
        return f"{self.name}+{self.key_id.hex()}+{blob}"

    @classmethod
    def parse(cls, vkey: str) -> Verifier:
        """A verifier key's text back; NoteInvalid when it is malformed or its key ID is wrong."""
        try:
            name, hex_id, blob = vkey.strip().split("+", 2)
            raw = base64.b64decode(blob, validate=True)
            wanted = bytes.fromhex(hex_id)
            check_name(name)
        except (ValueError, binascii.Error):
            raise NoteInvalid("malformed verifier key") from None
        for algorithm_name, sig_type in SIGNATURE_TYPES.items():
            if raw.startswith(sig_type):
                try:
                    public_key = load_public_key(raw[len(sig_type) :])
                except Exception:
                    raise NoteInvalid("the verifier key's public key is unreadable") from None
                if public_key.algorithm.name != algorithm_name:
                    raise NoteInvalid("the verifier key's type and public key disagree")
                verifier = cls.for_key(name, public_key)
                if verifier.key_id != wanted:
                    raise NoteInvalid("the verifier key's ID does not match its name and key")
                return verifier
        raise NoteInvalid("unknown verifier key type")


def sign(checkpoint: Checkpoint, name: str, keys: Sequence[KeyHandle]) -> str:
    """The checkpoint as a signed note, one signature line per key (all under the same name)."""
    if not keys:
        raise ValueError("a checkpoint needs at least one signing key")
    text = checkpoint.text()
    lines = []
    for key in keys:
        verifier = Verifier.for_key(name, key.public_key)
        signature = key.sign(text.encode())
        lines.append(f"{DASH} {name} {base64.b64encode(verifier.key_id + signature).decode()}\n")
    return text + "\n" + "".join(lines)


@dataclass(frozen=True)
class Opened:
    checkpoint: Checkpoint
    verified_by: tuple[Verifier, ...]


def open_note(note: str, verifiers: Sequence[Verifier], origin: str | None = None) -> Opened:
    """Parse and check a signed checkpoint: at least one signature by a known key, every
    signature by a known key valid; lines from unknown keys are ignored (signed-note rules)."""
    text, signatures = _split(note)
    known = {(v.name, v.key_id): v for v in verifiers}
    verified: list[Verifier] = []
    for name, kid, signature in signatures:
        verifier = known.get((name, kid))
        if verifier is None:
            continue
        try:
            verifier.public_key.verify(signature, text.encode())
        except Exception:
            raise NoteInvalid(f"the signature of {name} ({kid.hex()}) does not verify") from None
        verified.append(verifier)
    if not verified:
        raise NoteInvalid("the checkpoint is not signed by any trusted log key")
    checkpoint = parse(text)
    if origin is not None and checkpoint.origin != origin:
        raise NoteInvalid(f"the checkpoint is for log {checkpoint.origin!r}, not {origin!r}")
    return Opened(checkpoint, tuple(verified))


def _split(note: str) -> tuple[str, list[tuple[str, bytes, bytes]]]:
    if any(ord(c) < 0x20 and c != "\n" for c in note):
        raise NoteInvalid("a note has no control characters other than newline")
    cut = note.rfind("\n\n")
    if cut < 0 or not note.endswith("\n"):
        raise NoteInvalid("no blank line between the checkpoint and its signatures")
    text, lines = note[: cut + 1], note[cut + 2 :].splitlines()
    if not lines or len(lines) > MAX_SIGNATURES:
        raise NoteInvalid("a note has 1 to 100 signature lines")
    signatures = []
    for line in lines:
        parts = line.split(" ")
        if len(parts) != 3 or parts[0] != DASH:
            raise NoteInvalid("malformed signature line")
        try:
            blob = base64.b64decode(parts[2], validate=True)
        except binascii.Error:
            raise NoteInvalid("a signature is not base64") from None
        if len(blob) < 5:
            raise NoteInvalid("a signature line is too short")
        signatures.append((parts[1], blob[:4], blob[4:]))
    return text, signatures


def parse(text: str) -> Checkpoint:
    """The checkpoint in a note's text (tlog-checkpoint: origin, size, root, optional extensions)."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise NoteInvalid("a checkpoint has an origin, a size and a root hash line")
    origin, size, root, *extensions = lines[:-1]
    if not origin:
        raise NoteInvalid("the checkpoint's origin line is empty")
    if not size.isascii() or not size.isdigit() or (size != "0" and size.startswith("0")):
        raise NoteInvalid("the checkpoint's tree size is not a decimal number")
    try:
        digest = base64.b64decode(root, validate=True)
    except binascii.Error:
        raise NoteInvalid("the checkpoint's root hash is not base64") from None
    if len(digest) != 32:
        raise NoteInvalid("the checkpoint's root hash is not 32 bytes")
    if any(not e for e in extensions):
        raise NoteInvalid("empty extension line")
    return Checkpoint(origin, int(size), digest, tuple(extensions))
