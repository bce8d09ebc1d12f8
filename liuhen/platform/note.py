"""Signed notes, checkpoints and cosignatures in the C2SP formats (seed Art 45).

- signed-note (c2sp.org/signed-note): a text, a blank line, then signature lines
  `— <key name> base64(key id || signature)`; an Ed25519 key id is
  SHA-256(name || 0x0A || 0x01 || public key)[:4]; verifier keys read
  `<name>+<hex key id>+base64(0x01 || public key)`.
- tlog-checkpoint (c2sp.org/tlog-checkpoint): the note text is the log's origin, the
  tree size in decimal and the base64 root hash, one per line.
- tlog-cosignature (c2sp.org/tlog-cosignature, cosignature/v1): a witness signs
  "cosignature/v1\\ntime <t>\\n" + the checkpoint text with its own Ed25519 key; the key
  id uses 0x04 and the signature is timestamp (u64, big-endian) || Ed25519 signature.

No I/O, standard library and `cryptography` only: the offline verifier imports it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ED25519, COSIGNATURE_V1 = 0x01, 0x04
Kind = Literal["log", "witness"]
ALG: dict[Kind, int] = {"log": ED25519, "witness": COSIGNATURE_V1}
KINDS: dict[int, Kind] = {ED25519: "log", COSIGNATURE_V1: "witness"}
DASH = "\u2014 "
MAX_SIGNATURES = 100


class NoteError(ValueError):
    """A malformed note, checkpoint or key, or a signature that does not verify."""


def key_id(name: str, alg: int, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + bytes([alg]) + public).digest()[:4]


def _check_name(name: str) -> str:
    if not name or any(c.isspace() or c == "+" for c in name):
        raise NoteError(f"a key name must be non-empty, without spaces or '+': {name!r}")
    return name


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(Encoding.Raw, PublicFormat.Raw)


@dataclass(frozen=True)
class Verifier:
    """A public key with its name, for a log (0x01) or a witness (0x04)."""

    name: str
    public: bytes
    kind: Kind = "log"

    @property
    def id(self) -> bytes:
        return key_id(self.name, ALG[self.kind], self.public)

    def vkey(self) -> str:
        material = base64.b64encode(bytes([ALG[self.kind]]) + self.public).decode()
        return f"{self.name}+{self.id.hex()}+{material}"

    @classmethod
    def parse(cls, vkey: str) -> Verifier:
        name, _, rest = vkey.partition("+")
        hash_hex, _, material = rest.partition("+")
        try:
            raw = base64.b64decode(material, validate=True)
            kid = bytes.fromhex(hash_hex)
        except (binascii.Error, ValueError) as exc:
            raise NoteError(f"not a verifier key: {vkey!r}") from exc
        if len(raw) != 33 or raw[0] not in KINDS or len(hash_hex) != 8:
            raise NoteError(f"not an Ed25519 verifier key: {vkey!r}")
        verifier = cls(_check_name(name), raw[1:], KINDS[raw[0]])
        if verifier.id != kid:
            raise NoteError(f"the key id of {vkey!r} does not match its key")
        return verifier

    def verify(self, message: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(signature, message)
        except (InvalidSignature, ValueError):
            return False
        return True


@dataclass(frozen=True)
class Signer:
    name: str
    private: Ed25519PrivateKey
    kind: Kind = "log"

    @property
    def verifier(self) -> Verifier:
        return Verifier(_check_name(self.name), _raw(self.private.public_key()), self.kind)

    def skey(self) -> str:
        """PRIVATE+KEY+<name>+<key id>+base64(alg || seed): the Go note signer key."""
        seed = self.private.private_bytes_raw()
        material = base64.b64encode(bytes([ALG[self.kind]]) + seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.verifier.id.hex()}+{material}"

    @classmethod
    def parse(cls, skey: str) -> Signer:
        parts = skey.split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise NoteError("not a signer key (PRIVATE+KEY+name+id+material)")
        try:
            raw = base64.b64decode(parts[4], validate=True)
        except binascii.Error as exc:
            raise NoteError("the signer key's material is not base64") from exc
        if len(raw) != 33 or raw[0] not in KINDS:
            raise NoteError("not an Ed25519 signer key")
        signer = cls(parts[2], Ed25519PrivateKey.from_private_bytes(raw[1:]), KINDS[raw[0]])
        if signer.verifier.id.hex() != parts[3]:
            raise NoteError("the signer key's id does not match its key")
        return signer

    @classmethod
    def generate(cls, name: str, kind: Kind = "log") -> Signer:
        return cls(_check_name(name), Ed25519PrivateKey.generate(), kind)


@dataclass(frozen=True)
class Signature:
    name: str
    key_id: bytes
    signature: bytes

    def line(self) -> str:
        return f"{DASH}{self.name} {base64.b64encode(self.key_id + self.signature).decode()}\n"


def _check_text(text: str) -> None:
    if not text.endswith("\n") or "\n\n" in text or text.startswith("\n"):
        raise NoteError("a note text is non-empty lines, each ending in a newline")


def sign(text: str, signer: Signer) -> Signature:
    _check_text(text)
    if signer.kind != "log":
        raise NoteError("a witness key cosigns checkpoints; it does not sign notes")
    return Signature(signer.name, signer.verifier.id, signer.private.sign(text.encode()))


def parse_note(note: str) -> tuple[str, list[Signature]]:
    """Split a signed note into its text and its signature lines."""
    text, sep, sigs = note.rpartition("\n\n")
    if not sep or not sigs.endswith("\n"):
        raise NoteError("a signed note is text, a blank line and signature lines")
    text += "\n"
    _check_text(text)
    out = []
    for line in sigs[:-1].split("\n"):
        if not line.startswith(DASH):
            raise NoteError(f"not a signature line: {line!r}")
        name, _, blob = line[len(DASH) :].partition(" ")
        try:
            raw = base64.b64decode(blob, validate=True)
        except binascii.Error as exc:
            raise NoteError(f"a signature that is not base64: {line!r}") from exc
        if len(raw) < 5:
            raise NoteError(f"a signature too short to carry a key id: {line!r}")
        out.append(Signature(_check_name(name), raw[:4], raw[4:]))
    if len(out) > MAX_SIGNATURES:
        raise NoteError("too many signatures")
    return text, out


def format_note(text: str, signatures: list[Signature]) -> str:
    _check_text(text)
    return text + "\n" + "".join(s.line() for s in signatures)


def cosignature_message(text: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n".encode() + text.encode()


def cosign(text: str, witness: Signer, timestamp: int) -> Signature:
    if witness.kind != "witness":
        raise NoteError("only a witness key makes cosignatures")
    sig = witness.private.sign(cosignature_message(text, timestamp))
    return Signature(witness.name, witness.verifier.id, struct.pack(">Q", timestamp) + sig)


def verify_signature(text: str, sig: Signature, key: Verifier) -> int | None:
    """Whether `sig` is `key`'s signature on `text`: None if not; for a cosignature, its
    time (POSIX seconds), else 0."""
    if sig.name != key.name or sig.key_id != key.id:
        return None
    if key.kind == "witness":
        if len(sig.signature) != 72:
            return None
        (timestamp,) = struct.unpack(">Q", sig.signature[:8])
        ok = key.verify(cosignature_message(text, timestamp), sig.signature[8:])
        return timestamp if ok else None
    return 0 if key.verify(text.encode(), sig.signature) else None


# --- checkpoints ----------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    origin: str
    size: int
    root: bytes

    def text(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"

    @classmethod
    def parse(cls, text: str) -> Checkpoint:
        lines = text.split("\n")
        if len(lines) < 4 or lines[-1] != "":
            raise NoteError("a checkpoint is origin, size and root hash, one per line")
        origin, size, root = lines[0], lines[1], lines[2]
        if not origin or not size.isdigit() or (size != "0" and size.startswith("0")):
            raise NoteError(f"not a checkpoint origin and size: {origin!r} {size!r}")
        try:
            raw = base64.b64decode(root, validate=True)
        except binascii.Error as exc:
            raise NoteError("the checkpoint's root hash is not base64") from exc
        if len(raw) != 32:
            raise NoteError("the checkpoint's root hash is not 32 bytes")
        return cls(origin, int(size), raw)


def open_checkpoint(
    note: str, log_key: Verifier, witnesses: Sequence[Verifier] = ()
) -> tuple[Checkpoint, dict[str, int]]:
    """The checkpoint in `note`, which `log_key` must have signed, and the names of the
    `witnesses` whose cosignature verifies, with its time."""
    text, sigs = parse_note(note)
    checkpoint = Checkpoint.parse(text)
    if checkpoint.origin != log_key.name:
        raise NoteError(f"the checkpoint is of {checkpoint.origin}, not of {log_key.name}")
    if not any(verify_signature(text, s, log_key) is not None for s in sigs):
        raise NoteError(f"the checkpoint does not carry a valid signature of {log_key.name}")
    cosigned: dict[str, int] = {}
    for w in witnesses:
        for s in sigs:
            t = verify_signature(text, s, w)
            if t is not None:
                cosigned[w.name] = t
    return checkpoint, cosigned
