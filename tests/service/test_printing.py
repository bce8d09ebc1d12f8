"""Effective documents print (seed Art 28, 37, 41, 45; docs/printing.md): the PDF is
numbered, its hash is in the ledger, it is stored once, and its verification code says
which case, document and ledger entry it is."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import grpc
import pytest

from liuhen.cases.v1 import cases_pb2 as cpb
from liuhen.cli import demo, prints
from liuhen.enforcement.v1 import enforcement_pb2 as epb
from liuhen.paging import case_documents, case_ledger
from liuhen.platform.catalogue import document_type
from services.cases.casefile import STAGES
from tests.printing_support import fonts_embedded, pdf_text, squeeze
from tests.service.test_cases_steps import cases, effective, interview, serve
from tests.support import Site, file_case, rid

VIOLATION = "拖欠12名劳动者2026年9月至10月工资"
ORDER = {
    "period_days": 10,
    "violations": [{"fact": VIOLATION, "basis": "《劳动保障监察条例》第二十六条"}],
    "employer": {"name": "武汉某某建筑劳务有限公司", "uscc": "91420102MA4K12345G"},
}


def fetch_pdf(
    site: Site, name: str, *, tenant: str = "jiangan"
) -> tuple[bytes, cpb.GetDocumentPdfResponse]:
    client = site.client("cases", tenant, "handler1")
    first = client.GetDocumentPdf(cpb.GetDocumentPdfRequest(name=name))
    data = first.part.data
    while len(data) < first.part.total_size:
        data += client.GetDocumentPdf(
            cpb.GetDocumentPdfRequest(name=name, offset=len(data))
        ).part.data
    return data, first


def test_art28_45_an_effective_order_prints_numbered_with_its_hash_in_the_ledger(
    site: Site,
) -> None:
    case = file_case(site)
    order = effective(site, case, "rectification_order", ORDER)
    data, got = fetch_pdf(site, order.name)
    assert re.fullmatch(r"江岸人社监限改〔\d{4}〕1号", got.number)
    text = pdf_text(data)
    for part in (
        document_type("rectification_order").zh,
        got.number,
        "武汉市江岸区人力资源和社会保障局",
        "武汉某某建筑劳务有限公司",
        "91420102MA4K12345G",
        VIOLATION,
        got.verification_code,
        "第1页共1页",
    ):
        assert part in text
    assert all(emb == "yes" for _, emb in fonts_embedded(data))
    ledger = case_ledger(cases(site), case)
    entry = next(e for e in ledger if e.seq == got.ledger_seq)
    assert entry.action == "document.effective"
    # The PDF is rendered after the commit; its hash follows in `document.printed`,
    # beside the sheet's hash the effective entry carries (docs/printing.md).
    printed = next(e for e in ledger if e.action == "document.printed" and e.seq > entry.seq)
    assert list(printed.refs) == [entry.refs[1], got.part.sha256]
    second = effective(site, case, "rectification_order", ORDER, supersedes=order.name)
    assert fetch_pdf(site, second.name)[1].number.endswith("〕2号")  # numbered per form, year


def test_art45_verify_accepts_the_stored_pdf_and_rejects_one_byte_changed(site: Site) -> None:
    case = file_case(site)
    order = effective(site, case, "rectification_order", ORDER)
    data, got = fetch_pdf(site, order.name)
    ok = cases(site).VerifyDocumentPdf(cpb.VerifyDocumentPdfRequest(pdf=data))
    assert ok.matches and ok.ledger_verified and ok.document == order.name and ok.case == case
    assert ok.ledger_seq == got.ledger_seq and ok.number == got.number
    at = len(data) // 2
    changed = data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :]
    bad = cases(site).VerifyDocumentPdf(cpb.VerifyDocumentPdfRequest(pdf=changed))
    assert not bad.matches and bad.recorded_sha256 == got.part.sha256
    with pytest.raises(grpc.RpcError) as exc:
        cases(site).VerifyDocumentPdf(
            cpb.VerifyDocumentPdfRequest(verification_code="ZZZZ-ZZZZ-ZZ", sha256="0" * 64)
        )
    assert exc.value.code() == grpc.StatusCode.NOT_FOUND


def test_art45_liuhen_verify_accepts_the_stored_pdf_and_rejects_a_changed_byte(
    site: Site, tmp_path: Path
) -> None:
    case = file_case(site)
    order = effective(site, case, "rectification_order", ORDER)
    data, _ = fetch_pdf(site, order.name)
    officer = demo.Officer(site.settings, "jiangan", "handler1")
    good = tmp_path / "order.pdf"
    good.write_bytes(data)
    ok, report = prints.verify(officer, good)
    assert ok and order.name in report and case in report
    bad = tmp_path / "changed.pdf"
    bad.write_bytes(data[:-100] + bytes([data[-100] ^ 1]) + data[-99:])
    ok, report = prints.verify(officer, bad)
    assert not ok and "NOT THE RECORDED BYTES" in report


def test_art41_42_the_case_file_is_complete_in_the_order_of_the_stages(
    site: Site, tmp_path: Path
) -> None:
    case = file_case(site)
    record = interview(site, case)
    order = effective(site, case, "rectification_order", ORDER)
    served = serve(site, order.name)
    got = cases(site).GetCaseFile(cpb.GetCaseFileRequest(case=case))
    stages = [i.stage for i in got.items]
    assert stages == sorted(stages, key=list(STAGES).index)
    assert stages[0] == "intake" and stages[-1] == "service"
    names = [i.name for i in got.items]
    assert {record.name, order.name, served.name} <= set(names)
    assert any(n.endswith("/registration") for n in names)
    assert any(n.endswith("/filing_approval") for n in names)
    full = cases(site).GetCase(cpb.GetCaseRequest(name=case)).case
    ledger = case_ledger(cases(site), case)
    assert (full.state, full.state_zh) == (cpb.Case.RECTIFYING, "限期改正中")
    documents = case_documents(cases(site), "jiangan", case)
    assert {d.name for d in documents if d.state == cpb.Document.EFFECTIVE} <= set(names)
    assert got.retention == "10年" and "国家档案局令第8号" in got.retention_source
    out = tmp_path / "file.pdf"
    sha, manifest_path = prints.case_file(
        demo.Officer(site.settings, "jiangan", "handler1"), case, out
    )
    manifest = json.loads(manifest_path.read_text("utf-8"))
    items = [i for i in manifest["items"] if i["kind"] != "recording"]
    assert [i["first_page"] for i in items] == sorted(i["first_page"] for i in items)
    printed = {e.refs[1] for e in ledger if e.action == "document.printed"}
    assert printed <= {i["pdf_sha256"] for i in manifest["items"]}  # every print is bound
    text = pdf_text(out.read_bytes())
    for part in (
        "卷内目录",
        "证据袋清单",
        "证据材料备考表",
        "受理立案",
        "送达执行",
        full.case_number,
        "案件状态" + full.state_zh,  # the cover names the state in Chinese
    ):
        assert squeeze(part) in text
    assert hashlib.sha256(out.read_bytes()).hexdigest() == sha == manifest["sha256"]


def test_art37_the_service_receipt_prints_the_service_and_the_signature_field(site: Site) -> None:
    case = file_case(site)
    order = effective(site, case, "rectification_order", ORDER)
    _, got_order = fetch_pdf(site, order.name)
    record = (
        site.client("enforcement", "jiangan", "handler1")
        .ServeDocument(
            epb.ServeDocumentRequest(
                request_id=rid(),
                document=order.name,
                method=epb.SERVICE_METHOD_DIRECT,
                recipient="武汉某某建筑劳务有限公司",
                signed_by="王五（法定代表人）",
                place="江岸区解放大道1号公司办公室",
            )
        )
        .record
    )
    assert record.place == "江岸区解放大道1号公司办公室"
    data, got = fetch_pdf(site, record.name)
    text = pdf_text(data)
    for part in (
        "劳动保障监察送达回执",
        "直接送达",
        "江岸区解放大道1号公司办公室",
        "武汉某某建筑劳务有限公司",
        "王五（法定代表人）",
        got_order.number,
        "受送达人签名（盖章）",
        got.verification_code,
    ):
        assert part in text, part
    assert cases(site).VerifyDocumentPdf(cpb.VerifyDocumentPdfRequest(pdf=data)).matches


def test_art30_41_a_police_decision_is_filed_as_received_with_the_senders_number(
    site: Site, tmp_path: Path
) -> None:
    from tests.service.test_cases_paths import refer
    from tests.service.test_cases_steps import inbound

    case = file_case(site)
    refer(site, case)
    receipt = inbound(site, case, "criminal_referral_receipt", {"received_by": "法制室"})
    number = "江公（法）不立字〔2026〕15号"
    decision = inbound(
        site,
        case,
        "police_filing_decision",
        {"filed": False, "reason": "证据不足", "sender_number": number},
    )
    ledger = case_ledger(cases(site), case)
    printed = {e.refs[0] for e in ledger if e.action == "document.effective"}
    assert decision.content_sha256 not in printed  # not this bureau's: no print, no 文号
    out = tmp_path / "file.pdf"
    _, manifest_path = prints.case_file(
        demo.Officer(site.settings, "jiangan", "handler1"), case, out
    )
    items = {i["name"]: i for i in json.loads(manifest_path.read_text("utf-8"))["items"]}
    assert (items[decision.name]["number"], items[decision.name]["sender"]) == (
        number,
        "武汉市江岸区公安机关",
    )
    assert items[receipt.name]["number"] == "" and items[receipt.name]["sender"]
    text = pdf_text(out.read_bytes())
    for part in ("江岸区公安机关来文", number, "收文", "本机关不另编文号"):
        assert squeeze(part) in text, part
