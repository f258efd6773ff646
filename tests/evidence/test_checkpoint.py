"""Checkpoints as C2SP signed notes: the exact text, key IDs, verifier keys, and what opening refuses."""

from __future__ import annotations

import base64
import hashlib

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from inkseal.evidence.checkpoint import Checkpoint, NoteInvalid, Verifier, open_note, parse, sign
from inkseal.pki.algorithms import ECDSA_P256, SM2

NAME = "inkseal.test/log"
ROOT = hashlib.sha256(b"root").digest()


@pytest.fixture(scope="module")
def keys():
    return ECDSA_P256.generate_soft_key(), SM2.generate_soft_key()


def test_the_note_is_the_c2sp_checkpoint_text_and_an_independent_ecdsa_check_verifies_it(keys):
    ecdsa, _ = keys
    note = sign(Checkpoint(NAME, 42, ROOT), NAME, [ecdsa])
    text, signature_line = note.split("\n\n")
    assert text + "\n" == f"{NAME}\n42\n{base64.b64encode(ROOT).decode()}\n"
    dash, name, blob = signature_line.rstrip("\n").split(" ")
    assert (dash, name) == ("\u2014", NAME)
    raw = base64.b64decode(blob)
    spki = ecdsa.public_key.spki_der
    assert raw[:4] == hashlib.sha256(NAME.encode() + b"\n\xffinkseal-ecdsa-p256-sha256" + spki).digest()[:4]
    public = serialization.load_der_public_key(spki)
    assert isinstance(public, ec.EllipticCurvePublicKey)
    public.verify(raw[4:], (text + "\n").encode(), ec.ECDSA(hashes.SHA256()))


def test_both_keys_sign_and_a_published_verifier_key_opens_the_note(keys):
    note = sign(Checkpoint(NAME, 7, ROOT), NAME, list(keys))
    verifiers = [Verifier.parse(Verifier.for_key(NAME, k.public_key).text()) for k in keys]
    opened = open_note(note, verifiers, origin=NAME)
    assert opened.checkpoint == Checkpoint(NAME, 7, ROOT)
    assert len(opened.verified_by) == 2
    assert open_note(note, verifiers[1:]).verified_by == (verifiers[1],)  # SM2 alone (国密 view)


def test_another_key_a_changed_size_or_root_and_another_origin_are_refused(keys):
    ecdsa, sm2 = keys
    note = sign(Checkpoint(NAME, 7, ROOT), NAME, [ecdsa])
    mine = [Verifier.for_key(NAME, ecdsa.public_key)]
    with pytest.raises(NoteInvalid, match="not signed by any trusted"):
        open_note(note, [Verifier.for_key(NAME, sm2.public_key)])
    with pytest.raises(NoteInvalid, match="does not verify"):
        open_note(note.replace("\n7\n", "\n8\n"), mine)
    other_root = base64.b64encode(hashlib.sha256(b"other").digest()).decode()
    with pytest.raises(NoteInvalid, match="does not verify"):
        open_note(note.replace(base64.b64encode(ROOT).decode(), other_root), mine)
    with pytest.raises(NoteInvalid, match="not 'elsewhere'"):
        open_note(note, mine, origin="elsewhere")


def test_a_signature_from_an_unknown_key_is_ignored(keys):
    ecdsa, sm2 = keys
    note = sign(Checkpoint(NAME, 7, ROOT), NAME, [ecdsa])
    foreign = sign(Checkpoint(NAME, 7, ROOT), "witness.example", [sm2]).split("\n\n")[1]
    opened = open_note(note + foreign, [Verifier.for_key(NAME, ecdsa.public_key)])
    assert opened.checkpoint.size == 7


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("origin\n07\n" + base64.b64encode(ROOT).decode() + "\n", "decimal"),
        ("origin\n-1\n" + base64.b64encode(ROOT).decode() + "\n", "decimal"),
        ("origin\n1\n" + base64.b64encode(ROOT[:31]).decode() + "\n", "32 bytes"),
        ("origin\n1\nnot base64!\n", "base64"),
        ("\n1\n" + base64.b64encode(ROOT).decode() + "\n", "origin"),
        ("origin\n1\n", "origin, a size"),
    ],
)
def test_malformed_checkpoint_text_is_refused(text, reason):
    with pytest.raises(NoteInvalid, match=reason):
        parse(text)


def test_a_verifier_key_with_a_wrong_id_is_refused(keys):
    text = Verifier.for_key(NAME, keys[0].public_key).text()
    name, kid, blob = text.split("+", 2)
    with pytest.raises(NoteInvalid, match="ID does not match"):
        Verifier.parse(f"{name}+{'00000000' if kid != '00000000' else '00000001'}+{blob}")
