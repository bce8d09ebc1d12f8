"""An intake's documents print as a case's do (seed Art 11, 13-15, 41, 45; issue 7):
when one takes effect, or the head approves the 立案审批表, it is numbered, its PDF's
SHA-256 goes into the ledger entry of it taking effect, the PDF is stored write-once,
and `VerifyDocumentPdf` / `liuhen verify` name its intake and, once filed, its case."""

from __future__ import annotations

import re
from pathlib import Path

from liuhen.cases.v1 import cases_pb2 as cpb
from liuhen.cli import demo, prints
from liuhen.intake.v1 import intake_pb2 as ipb
from liuhen.paging import case_ledger
from liuhen.platform import ledger
from liuhen.platform.printing import registry
from tests.printing_support import fonts_embedded, pdf_text
from tests.service.test_intake_acceptance import approve, draft, register
from tests.service.test_printing import fetch_pdf
from tests.support import Client, Site, file_case, rid

GROUNDS = "投诉事项不属于劳动保障监察范围，属劳动争议，请向劳动人事争议仲裁委员会申请仲裁"


def test_art11_45_a_non_acceptance_prints_numbered_and_verifies_before_any_case(
    site: Site, tmp_path: Path
) -> None:
    intake = register(site)
    drafted = draft(site, intake.name, "non_acceptance_decision", {"grounds": GROUNDS})
    doc = approve(site, drafted.document.name).document
    data, got = fetch_pdf(site, doc.name)
    assert re.fullmatch(r"江岸人社监不受〔\d{4}〕1号", got.number)
    text = pdf_text(data)
    for part in (
        "劳动保障监察不予受理决定书",
        "武汉市江岸区人力资源和社会保障局",
        got.number,
        "张三：",  # addressed to the complainant it is served on
        GROUNDS,
        got.verification_code,
    ):
        assert part in text, part
    assert all(emb == "yes" for _, emb in fonts_embedded(data))
    intake_id = intake.name.removeprefix("intakes/")
    intake_site = site.running["intake"].platform
    with intake_site.db.unit_of_work("jiangan") as uow:
        row = registry.find(uow, doc.name)
        assert row is not None
        entry = next(e for e in ledger.entries(uow, intake_id) if e.seq == got.ledger_seq)
        printed = next(e for e in ledger.entries(uow, intake_id) if e.action == registry.PRINTED)
    assert (entry.action, entry.service) == ("document.effective", "intake")
    assert entry.refs[1] == registry.sheet_sha256(row.sheet_json)
    assert (printed.action, printed.service) == ("document.printed", "intake")
    assert got.part.sha256 == row.pdf_sha256 and list(printed.refs) == [
        entry.refs[1],
        row.pdf_sha256,
    ]
    intake_site.objects.head("jiangan", row.object_key)  # stored write-once by intake
    v = cases_of(site).VerifyDocumentPdf(cpb.VerifyDocumentPdfRequest(pdf=data))
    assert v.matches and v.ledger_verified
    assert (v.document, v.intake, v.case, v.case_number) == (doc.name, intake.name, "", "")
    path = tmp_path / "non_acceptance.pdf"
    path.write_bytes(data)
    ok, report = prints.verify(demo.Officer(site.settings, "jiangan", "intake1"), path)
    assert ok and intake.name in report and "(not filed)" in report
    changed = tmp_path / "changed.pdf"
    at = len(data) // 3
    changed.write_bytes(data[:at] + bytes([data[at] ^ 1]) + data[at + 1 :])
    ok, report = prints.verify(demo.Officer(site.settings, "jiangan", "intake1"), changed)
    assert not ok and "NOT THE RECORDED BYTES" in report


def test_art11_the_filing_approval_prints_when_approved_and_names_its_case_once_filed(
    site: Site,
) -> None:
    case = file_case(site)
    name = f"intakes/{case.removeprefix('cases/')}/filing_approval"
    data, got = fetch_pdf(site, name)
    filed = cases_of(site).GetCase(cpb.GetCaseRequest(name=case)).case
    text = pdf_text(data)
    for part in ("劳动保障监察立案审批表", filed.case_number, "立案理由", "属本机构管辖", "同意"):
        assert part in text, part
    assert got.number == ""  # the form carries the case number, no 文号 of its own
    v = cases_of(site).VerifyDocumentPdf(cpb.VerifyDocumentPdfRequest(pdf=data))
    assert v.matches and v.ledger_verified and v.title_zh == "劳动保障监察立案审批表"
    assert (v.intake, v.case, v.case_number) == (
        case.replace("cases/", "intakes/"),
        case,
        filed.case_number,
    )
    ledger = case_ledger(cases_of(site), case)
    entry = next(e for e in ledger if e.seq == got.ledger_seq)
    assert entry.action == "document.effective"
    assert any(
        e.action == "document.printed" and list(e.refs) == [entry.refs[1], got.part.sha256]
        for e in ledger
    )
    # The case file lists it with the content hash its ledger entries carry.
    listed = cases_of(site).GetCaseFile(cpb.GetCaseFileRequest(case=case)).items
    item = next(i for i in listed if i.name == name)
    assert item.sha256 == entry.refs[0]


def test_art13_a_transfer_slip_prints_addressed_to_the_receiving_bureau(site: Site) -> None:
    intake = register(site)
    desk = site.client("intake", "jiangan", "intake1")
    desk.DraftFilingApproval(
        ipb.DraftFilingApprovalRequest(
            request_id=rid(),
            intake=intake.name,
            within_jurisdiction=False,
            summary="用人单位在洪山区",
        )
    )
    site.client("intake", "jiangan", "head1").ApproveFiling(
        ipb.ApproveFilingRequest(request_id=rid(), intake=intake.name)
    )
    drafted = draft(
        site,
        intake.name,
        "jurisdiction_transfer_slip",
        {"grounds": "用人单位注册地在洪山区"},
        recipient="hongshan",
    )
    doc = approve(site, drafted.document.name).document
    data, got = fetch_pdf(site, doc.name)
    text = pdf_text(data)
    assert re.fullmatch(r"江岸人社监移管〔\d{4}〕1号", got.number)
    for part in ("武汉市洪山区人力资源和社会保障局：", "用人单位注册地在洪山区", got.number):
        assert part in text, part


def cases_of(site: Site) -> Client:
    return site.client("cases", "jiangan", "handler1")
