"""The court bundle of a case (DESIGN §4; seed Art 45): `liuhen case bundle NAME -o F.zip`.

A zip that a court or an auditor checks offline with `python -m liuhen.verify F.zip`:
`case.json`, one `documents/NN-<type>.json` per document, `recordings.json` (names,
sizes, SHA-256; the footage stays in the store), `ledger/entries.json` (every entry
with its RFC 9162 inclusion proof), `ledger/checkpoint.txt` (the newest witnessed
checkpoint with the log's signature and the witness's cosignature), `keys/*.vkey`, and
`manifest.json` with the SHA-256 of every other file.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from google.protobuf.message import Message

from liuhen.cases.v1 import cases_pb2 as cpb
from liuhen.media.v1 import media_pb2 as mpb
from liuhen.paging import case_documents
from liuhen.platform.enums import key_of

FORMAT = "liuhen-court-bundle/v1"
Call = Callable[[str, str, Message], Any]


def _json(obj: Any) -> bytes:
    return json.dumps(obj, ensure_ascii=False, indent=1, sort_keys=True).encode()


def gather(call: Call, case_name: str, tenant: str) -> dict[str, bytes]:
    """The bundle's files, fetched through the services as the calling officer of
    `tenant` (whose documents ListDocuments pages through)."""
    case = call("cases", "GetCase", cpb.GetCaseRequest(name=case_name)).case
    recordings = call("media", "ListRecordings", mpb.ListRecordingsRequest(case=case_name))
    proofs = call("cases", "GetLedgerProofs", cpb.GetLedgerProofsRequest(case=case_name))
    files: dict[str, bytes] = {
        "case.json": _json(
            {"name": case.name, "case_number": case.case_number, "party": case.party}
        )
    }
    for i, d in enumerate(case_documents(call, tenant, case_name), start=1):
        files[f"documents/{i:02d}-{d.type}.json"] = _json(
            {
                "name": d.name,
                "type": d.type,
                "title_zh": d.title_zh,
                "state": key_of(d),
                "version": d.version,
                "content_json": d.content_json,
                "content_sha256": d.content_sha256,
            }
        )
    files["recordings.json"] = _json(
        [{"name": r.name, "size": r.size_bytes, "sha256": r.sha256} for r in recordings.recordings]
    )
    files["ledger/entries.json"] = _json(
        [
            {
                "entry": json.loads(p.entry_json),
                "leaf_index": p.leaf_index,
                "proof": [base64.b64encode(h).decode() for h in p.proof],
            }
            for p in proofs.entries
        ]
    )
    files["ledger/checkpoint.txt"] = proofs.checkpoint.encode()
    for i, vkey in enumerate(proofs.verifier_keys):
        files[f"keys/{'log' if i == 0 else 'witness'}.vkey"] = (vkey + "\n").encode()
    return files


def covered(files: dict[str, bytes]) -> bool:
    """Whether every ledger entry of the bundle is a leaf of its checkpoint's tree (the
    note's second line is the tree's size, C2SP tlog-checkpoint)."""
    size = int(files["ledger/checkpoint.txt"].decode().split("\n")[1])
    entries = json.loads(files["ledger/entries.json"])
    return all(0 <= e["leaf_index"] < size for e in entries)


def write(files: dict[str, bytes], out: Path) -> Path:
    manifest = {
        "format": FORMAT,
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())},
    }
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", _json(manifest))
        for name, data in sorted(files.items()):
            z.writestr(name, data)
    return out


def witnessed_bundle(
    head: Call, officer: Call, case_name: str, out: Path, *, tenant: str, timeout_s: float = 60.0
) -> Path:
    """Sign the site's checkpoint now, wait until its witness has cosigned it (the case's
    every entry is then covered), and write the case's bundle to `out`."""
    deadline = time.monotonic() + timeout_s
    while True:
        signed = head(
            "cases", "SignCheckpoint", cpb.SignCheckpointRequest(request_id=str(uuid.uuid4()))
        )
        while True:
            v = officer("cases", "VerifyLedger", cpb.VerifyLedgerRequest(case=case_name))
            if v.checkpoint_size >= signed.size and v.unwitnessed == 0:
                break
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"the witness did not cosign the checkpoint of size {signed.size}"
                )
            time.sleep(0.1)
        files = gather(officer, case_name, tenant)
        # An entry made since (a print finished after its command's commit) is not under
        # that checkpoint yet: sign again rather than write a bundle that cannot verify.
        if covered(files):
            return write(files, out)
        if time.monotonic() > deadline:
            raise TimeoutError(f"entries of {case_name} keep arriving after each checkpoint")
