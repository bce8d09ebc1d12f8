"""Check a court bundle offline: `python -m liuhen.verify BUNDLE.zip [--log-key VKEY]
[--witness-key VKEY]` (DESIGN §4; seed Art 45).

Imports only the standard library, `cryptography` and the two pure modules it shares
with the services (liuhen.platform.merkle, liuhen.platform.note). It checks, in order,
and names the first thing that does not hold: every file against the manifest; the
checkpoint's signature by the log's key and the cosignature by the witness's key (the
keys in the bundle, or the ones given, which a court should obtain independently);
each ledger entry's hash over its content, the chain's links, and its inclusion in the
checkpoint's tree; each document's content against its SHA-256; each recording's
SHA-256 against the ledger.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import sys
import zipfile
from pathlib import Path
from typing import Any

from liuhen.platform import merkle
from liuhen.platform.note import NoteError, Verifier, open_checkpoint

GENESIS = "0" * 64


class BundleError(Exception):
    pass


def _canonical(obj: Any) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def _read(path: Path) -> dict[str, bytes]:
    try:
        with zipfile.ZipFile(path) as z:
            return {name: z.read(name) for name in z.namelist()}
    except (zipfile.BadZipFile, OSError) as exc:
        raise BundleError(f"not a readable zip: {exc}") from exc


def check_manifest(files: dict[str, bytes]) -> None:
    try:
        listed = json.loads(files["manifest.json"])["files"]
    except (KeyError, ValueError, TypeError) as exc:
        raise BundleError("manifest.json is missing or unreadable") from exc
    for name in sorted(set(files) - {"manifest.json"} | set(listed)):
        if name not in files:
            raise BundleError(f"{name} is listed in the manifest but missing")
        if hashlib.sha256(files[name]).hexdigest() != listed.get(name):
            raise BundleError(f"{name} does not match its SHA-256 in the manifest")


def check_checkpoint(files: dict[str, bytes], log_key: str, witness_key: str) -> tuple[int, bytes]:
    try:
        log = Verifier.parse(log_key or files["keys/log.vkey"].decode().strip())
        witness = Verifier.parse(witness_key or files["keys/witness.vkey"].decode().strip())
        note = files["ledger/checkpoint.txt"].decode()
        cp, cosigned = open_checkpoint(note, log, [witness])
    except (NoteError, KeyError, UnicodeDecodeError) as exc:
        raise BundleError(f"ledger/checkpoint.txt: {exc}") from exc
    if witness.name not in cosigned:
        raise BundleError(f"ledger/checkpoint.txt lacks a valid cosignature of {witness.name}")
    return cp.size, cp.root


def check_entries(files: dict[str, bytes], size: int, root: bytes) -> list[dict[str, Any]]:
    try:
        items = json.loads(files["ledger/entries.json"])
    except (KeyError, ValueError) as exc:
        raise BundleError("ledger/entries.json is missing or unreadable") from exc
    prev, out = GENESIS, []
    for n, item in enumerate(items, start=1):
        entry = dict(item["entry"])
        claimed = entry.pop("hash")
        where = f"ledger entry {entry.get('seq')}"
        if entry.get("seq") != n:
            raise BundleError(f"{where} is out of sequence (expected {n})")
        if hashlib.sha256(_canonical(entry)).hexdigest() != claimed:
            raise BundleError(f"{where} was altered: its hash does not match its content")
        if entry.get("prev_hash") != prev:
            raise BundleError(f"{where} does not link to the entry before it")
        try:
            proof = [base64.b64decode(p, validate=True) for p in item["proof"]]
            leaf = merkle.leaf_hash(bytes.fromhex(claimed))
            merkle.verify_inclusion(int(item["leaf_index"]), size, leaf, proof, root)
        except (ValueError, merkle.ProofError) as exc:
            raise BundleError(f"{where} is not in the witnessed log: {exc}") from exc
        prev = claimed
        out.append({**entry, "hash": claimed})
    return out


def check_contents(files: dict[str, bytes], entries: list[dict[str, Any]]) -> None:
    for name in sorted(n for n in files if n.startswith("documents/")):
        doc = json.loads(files[name])
        if hashlib.sha256(doc["content_json"].encode()).hexdigest() != doc["content_sha256"]:
            raise BundleError(f"{name}: the content does not match its SHA-256")
    refs = {r for e in entries for r in e.get("refs", [])}
    for rec in json.loads(files.get("recordings.json", b"[]")):
        if rec["sha256"] not in refs:
            raise BundleError(f"recording {rec['name']}: its SHA-256 is in no ledger entry")


def verify_bundle(path: Path, log_key: str = "", witness_key: str = "") -> str:
    """A line saying what holds; raises BundleError naming the first thing that does not."""
    files = _read(path)
    check_manifest(files)
    size, root = check_checkpoint(files, log_key, witness_key)
    entries = check_entries(files, size, root)
    try:
        check_contents(files, entries)
    except (KeyError, ValueError, TypeError) as exc:
        raise BundleError(f"a document or the recordings list is unreadable: {exc}") from exc
    return f"verified: {len(entries)} ledger entries in the witnessed log of size {size}"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m liuhen.verify", description=__doc__)
    p.add_argument("bundle", type=Path)
    p.add_argument("--log-key", default="", help="the site's log key (signed-note vkey)")
    p.add_argument("--witness-key", default="", help="the witness's key (signed-note vkey)")
    args = p.parse_args(argv)
    try:
        print(verify_bundle(args.bundle, args.log_key, args.witness_key))
    except BundleError as exc:
        print(f"NOT VERIFIED: {exc}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
