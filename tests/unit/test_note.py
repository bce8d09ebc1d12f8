"""Signed notes, checkpoints and cosignatures (C2SP signed-note, tlog-checkpoint,
tlog-cosignature; seed Art 45). The PeterNeumann key, text and signature are the
reference vector of golang.org/x/mod/sumdb/note (note_test.go): Ed25519 is
deterministic, so signing must reproduce the published note byte for byte."""

from __future__ import annotations

import pytest

from liuhen.platform.note import (
    Checkpoint,
    NoteError,
    Signer,
    Verifier,
    cosign,
    format_note,
    open_checkpoint,
    parse_note,
    sign,
    verify_signature,
)

VKEY = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
SKEY = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
TEXT = (
    "If you think cryptography is the answer to your problem,\n"
    "then you don't know what your problem is.\n"
)
NOTE = (
    TEXT + "\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FF"
    "YC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
)


def test_the_go_reference_note_is_reproduced_and_verifies() -> None:
    signer = Signer.parse(SKEY)
    assert signer.verifier.vkey() == VKEY and signer.skey() == SKEY
    assert format_note(TEXT, [sign(TEXT, signer)]) == NOTE
    text, (sig,) = parse_note(NOTE)
    assert text == TEXT and verify_signature(text, sig, Verifier.parse(VKEY)) == 0


def test_art45_an_altered_note_or_a_mangled_key_does_not_verify() -> None:
    text, (sig,) = parse_note(NOTE.replace("cryptography", "cryptographY"))
    assert verify_signature(text, sig, Verifier.parse(VKEY)) is None
    for bad in (VKEY[:-2], VKEY.replace("c74f20a3", "c74f20a4"), "PeterNeumann+c74f20a3"):
        with pytest.raises(NoteError):
            Verifier.parse(bad)


def test_a_checkpoint_signed_and_cosigned_opens_with_both_keys() -> None:
    log, witness = Signer.generate("liuhen.gov.wuhan/jiangan"), Signer.generate("w", "witness")
    cp = Checkpoint("liuhen.gov.wuhan/jiangan", 12, bytes(range(32)))
    note = format_note(cp.text(), [sign(cp.text(), log), cosign(cp.text(), witness, 1700000000)])
    opened, cosigned = open_checkpoint(note, log.verifier, [witness.verifier])
    assert opened == cp and cosigned == {"w": 1700000000}
    assert Verifier.parse(witness.verifier.vkey()) == witness.verifier
    _, (_, cosig) = parse_note(note)
    assert len(cosig.signature) == 8 + 64  # timestamp || Ed25519 (tlog-cosignature)


def test_art45_a_checkpoint_signed_by_another_key_is_refused() -> None:
    cp = Checkpoint("liuhen.gov.wuhan/jiangan", 1, bytes(32))
    impostor = Signer.generate("liuhen.gov.wuhan/jiangan")
    note = format_note(cp.text(), [sign(cp.text(), impostor)])
    with pytest.raises(NoteError):
        open_checkpoint(note, Signer.generate("liuhen.gov.wuhan/jiangan").verifier)
