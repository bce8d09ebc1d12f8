"""`liuhen verify FILE.pdf` and `liuhen case file NAME -o FILE.pdf`: printed documents
and the bound case file (docs/printing.md)."""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import grpc

from liuhen.cli import demo
from liuhen.platform.printing.documents import code_in


def fetch_parts(call: Callable[[int], Any]) -> tuple[bytes, Any]:
    """A PDF read in parts (each response at most 1 MiB): the bytes and the first reply."""
    first = call(0)
    data = bytes(first.part.data)
    while len(data) < first.part.total_size:
        data += call(len(data)).part.data
    if hashlib.sha256(data).hexdigest() != first.part.sha256:
        raise RuntimeError("the PDF changed while it was read; read it again")
    return data, first


def verify(officer: demo.Officer, path: Path) -> tuple[bool, str]:
    """Ask the cases service which document the PDF is and whether its bytes are the ones
    the ledger recorded; returns (ok, report)."""
    from liuhen.cases.v1 import cases_pb2 as cpb

    data = path.read_bytes()
    sha, code = hashlib.sha256(data).hexdigest(), code_in(data)
    if not code:
        return False, f"{path}: no Liuhen verification code in this file (sha256 {sha})"
    v = officer(
        "cases",
        "VerifyDocumentPdf",
        cpb.VerifyDocumentPdfRequest(verification_code=code, sha256=sha),
    )
    ok = v.matches and v.ledger_verified
    lines = [
        f"{path}: {'VERIFIED' if ok else 'NOT THE RECORDED BYTES'}",
        f"  document  {v.document}  {v.title_zh} {v.number}".rstrip(),
        f"  intake    {v.intake}",
        f"  case      {v.case or '(not filed)'}  {v.case_number}".rstrip(),
        f"  ledger    entry {v.ledger_seq}  {v.ledger_hash}"
        + ("" if v.ledger_verified else "  (chain does NOT verify)"),
        f"  sha256    {sha}" + ("" if v.matches else f"  (recorded {v.recorded_sha256})"),
        f"  code      {v.verification_code}",
    ]
    return ok, "\n".join(lines)


def _failed(exc: grpc.RpcError) -> int:
    print(f"failed: {exc.code().name}: {exc.details()}", file=sys.stderr)
    return 2


def cmd_verify(args: argparse.Namespace) -> int:
    try:
        ok, report = verify(
            demo.Officer(demo.Settings.from_env(), args.tenant, args.user), Path(args.file)
        )
    except grpc.RpcError as exc:
        return _failed(exc)
    print(report)
    return 0 if ok else 1


def case_file(officer: demo.Officer, case: str, out: Path) -> tuple[str, Path]:
    """Write the bound case file and its manifest beside it; returns (sha256, manifest)."""
    from liuhen.cases.v1 import cases_pb2 as cpb

    data, first = fetch_parts(
        lambda offset: officer(
            "cases", "GetCaseFilePdf", cpb.GetCaseFilePdfRequest(case=case, offset=offset)
        )
    )
    out.write_bytes(data)
    manifest = out.with_suffix(".manifest.json")
    body = {"case_file": out.name, "sha256": first.part.sha256, **json.loads(first.manifest_json)}
    manifest.write_text(json.dumps(body, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return first.part.sha256, manifest


def cmd_case_file(args: argparse.Namespace) -> int:
    officer = demo.Officer(demo.Settings.from_env(), args.tenant, args.user)
    try:
        sha, manifest = case_file(officer, args.name, Path(args.output))
    except grpc.RpcError as exc:
        return _failed(exc)
    print(f"{args.output}  sha256 {sha}\n{manifest}")
    return 0


def add_commands(sub: Any, case: Any, who: Callable[[argparse.ArgumentParser], None]) -> None:
    v = sub.add_parser("verify", help="which document a Liuhen PDF is, and whether it is intact")
    v.add_argument("file")
    who(v)
    v.set_defaults(fn=cmd_verify)
    f = case.add_parser("file", help="the bound case file (卷宗) as one PDF with its manifest")
    f.add_argument("name", help="cases/{id}")
    f.add_argument("-o", "--output", required=True, help="the PDF to write")
    who(f)
    f.set_defaults(fn=cmd_case_file)


def write_demo_pdfs(
    officer: demo.Officer, order: str, case: str, out_dir: Path, say: Callable[[str], None]
) -> dict[str, Any]:
    """The served 限期改正指令书 and the bound case file, written as PDFs (make demo)."""
    from liuhen.cases.v1 import cases_pb2 as cpb

    out_dir.mkdir(parents=True, exist_ok=True)
    data, got = fetch_parts(
        lambda offset: officer(
            "cases", "GetDocumentPdf", cpb.GetDocumentPdfRequest(name=order, offset=offset)
        )
    )
    order_path = out_dir / "rectification_order.pdf"
    order_path.write_bytes(data)
    ok, _ = verify(officer, order_path)
    file_sha, manifest = case_file(officer, case, out_dir / "case_file.pdf")
    say(f"  限期改正指令书 {got.number}: {order_path}  sha256 {got.part.sha256}")
    say(f"  案卷 (case file): {out_dir / 'case_file.pdf'}  sha256 {file_sha}  ({manifest.name})")
    return {
        "rectification_order": {
            "path": str(order_path),
            "sha256": got.part.sha256,
            "number": got.number,
            "verified": ok,
        },
        "case_file": {
            "path": str(out_dir / "case_file.pdf"),
            "sha256": file_sha,
            "manifest": str(manifest),
        },
    }
