"""The court bundle (DESIGN §4; seed Art 45): written from the running services, checked
offline by `python -m liuhen.verify`, which names the first thing that does not hold
when one byte of any part is changed."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from liuhen.cli import bundle
from liuhen.platform.note import Signer
from liuhen.verify import BundleError, verify_bundle
from tests.service.test_cases_paths import recording
from tests.service.test_enforcement import draft
from tests.service.test_ledger_witness import JA, witnessed_case
from tests.support import Site

ROOT = Path(__file__).resolve().parents[2]


def caller(site: Site) -> Callable[[str, str, Any], Any]:
    return lambda service, method, request: getattr(site.client(service, JA, "handler1"), method)(
        request
    )


@pytest.fixture
def written(site: Site, tmp_path: Path) -> Path:
    """A case with a document and a recording, entries after the first checkpoint too."""
    case, _ = witnessed_case(site)
    draft(site, case, "investigation_final_report", {"proposal": "拟处罚款"})
    site.client("media", JA, "handler1").UploadRecording(iter(recording(case)))
    call = caller(site)
    head = lambda s, m, r: getattr(site.client(s, JA, "head1"), m)(r)  # noqa: E731
    out = bundle.witnessed_bundle(head, call, case, tmp_path / "bundle.zip", tenant=JA)
    with zipfile.ZipFile(out) as z:
        assert json.loads(z.read("recordings.json"))
        assert any(n.startswith("documents/") for n in z.namelist())
    return out


def parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist()}


def rewrite(path: Path, files: dict[str, bytes], *, remanifest: bool) -> Path:
    if remanifest:
        listed = {
            n: hashlib.sha256(d).hexdigest() for n, d in files.items() if n != "manifest.json"
        }
        manifest = json.loads(files["manifest.json"])
        files = {**files, "manifest.json": json.dumps({**manifest, "files": listed}).encode()}
    with zipfile.ZipFile(path, "w") as z:
        for name, data in files.items():
            z.writestr(name, data)
    return path


def flip(data: bytes, at: int) -> bytes:
    return data[:at] + bytes([data[at] ^ 0x01]) + data[at + 1 :]


def test_art45_a_bundle_verifies_offline_with_only_the_standard_library_and_cryptography(
    written: Path,
) -> None:
    assert verify_bundle(written).startswith("verified")
    probe = (
        "import sys, runpy; sys.argv = ['liuhen.verify', sys.argv[1]];"
        "code = 0\ntry: runpy.run_module('liuhen.verify', run_name='__main__')\n"
        "except SystemExit as e: code = e.code\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in "
        "('sqlalchemy', 'grpc', 'google', 'yaml', 'minio', 'kafka', 'jwt', 'services')]\n"
        "print('IMPORTED', bad); sys.exit(code or bool(bad))"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe, str(written)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "verified" in proc.stdout and "IMPORTED []" in proc.stdout


def test_art45_one_byte_changed_in_any_part_is_named(written: Path, tmp_path: Path) -> None:
    files = parts(written)
    for name, data in files.items():
        changed = rewrite(
            tmp_path / "x.zip", {**files, name: flip(data, len(data) // 2)}, remanifest=False
        )
        with pytest.raises(BundleError) as failed:
            verify_bundle(changed)
        assert "manifest" in str(failed.value) or name in str(failed.value), (name, failed.value)


def _edit_json(data: bytes, edit: Callable[[Any], None]) -> bytes:
    obj = json.loads(data)
    edit(obj)
    return json.dumps(obj, ensure_ascii=False).encode()


def test_art45_a_change_with_the_manifest_recomputed_is_still_named(
    written: Path, tmp_path: Path
) -> None:
    """What a forger who also rewrites the manifest cannot hide."""
    files = parts(written)
    note = files["ledger/checkpoint.txt"].decode()
    size_line = note.split("\n")[1]
    forged_note = note.replace(f"\n{size_line}\n", f"\n{int(size_line) + 1}\n", 1).encode()
    witness = files["keys/witness.vkey"].decode()
    doc = next(n for n in files if n.startswith("documents/"))
    cases: dict[str, tuple[bytes, str]] = {
        doc: (
            _edit_json(files[doc], lambda d: d.update(content_json=d["content_json"] + " ")),
            f"{doc}: the content does not match",
        ),
        "ledger/entries.json": (
            _edit_json(
                files["ledger/entries.json"],
                lambda e: e[1]["entry"].update(action="forged"),
            ),
            "ledger entry 2 was altered",
        ),
        "ledger/checkpoint.txt": (forged_note, "ledger/checkpoint.txt"),
        "keys/witness.vkey": (
            (witness[:-6] + ("A" if witness[-6] != "A" else "B") + witness[-5:]).encode(),
            "ledger/checkpoint.txt",
        ),
        "recordings.json": (
            _edit_json(files["recordings.json"], lambda r: r[0].update(sha256="0" * 64)),
            "recording",
        ),
    }
    for name, (data, named) in cases.items():
        changed = rewrite(tmp_path / "y.zip", {**files, name: data}, remanifest=True)
        with pytest.raises(BundleError, match=re.escape(named)):
            verify_bundle(changed)


def test_art45_keys_the_court_obtained_itself_override_the_bundles(written: Path) -> None:
    """A forger who re-signs everything with keys of their own, and ships those keys in
    the bundle, fails against the bureau's published keys."""
    files = parts(written)
    published_log = files["keys/log.vkey"].decode().strip()
    published_witness = files["keys/witness.vkey"].decode().strip()
    assert verify_bundle(written, published_log, published_witness).startswith("verified")
    impostor = Signer.generate(published_log.split("+")[0]).verifier.vkey()
    with pytest.raises(BundleError, match=r"ledger/checkpoint\.txt"):
        verify_bundle(written, impostor, published_witness)
