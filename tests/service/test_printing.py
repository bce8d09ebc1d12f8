"""Effective documents print (seed Art 28, 37, 41, 45; docs/printing.md): the PDF is
numbered, its hash is in the ledger, it is stored once, and its verification code says
which case, document and ledger entry it is."""

from __future__ import annotations

import re

import grpc
import pytest

from liuhen.cases.v1 import cases_pb2 as cpb
from liuhen.platform.catalogue import document_type
from tests.printing_support import fonts_embedded, pdf_text
from tests.service.test_cases_steps import cases, effective
from tests.support import Site, file_case

ORDER = {
    "period_days": 10,
    "violations": "拖欠12名劳动者2026年9月至10月工资",
    "employer": {"name": "武汉某某建筑劳务有限公司", "uscc": "91420102MA4K123456"},
}


def fetch_pdf(site: Site, name: str) -> tuple[bytes, cpb.GetDocumentPdfResponse]:
    first = cases(site).GetDocumentPdf(cpb.GetDocumentPdfRequest(name=name))
    data = first.part.data
    while len(data) < first.part.total_size:
        data += (
            cases(site)
            .GetDocumentPdf(cpb.GetDocumentPdfRequest(name=name, offset=len(data)))
            .part.data
        )
    return data, first


def test_art28_45_an_effective_order_prints_numbered_with_its_hash_in_the_ledger(
    site: Site,
) -> None:
    case = file_case(site)
    order = effective(site, case, "rectification_order", ORDER)
    data, got = fetch_pdf(site, order.name)
    assert re.fullmatch(r"江岸人社监限改〔\d{4}〕1号", got.number)
    text = pdf_text(data)
    for part in (document_type("rectification_order").zh, got.number, "武汉市江岸区人力资源和社会保障局",
                 "武汉某某建筑劳务有限公司", "91420102MA4K123456", ORDER["violations"],
                 got.verification_code, "第1页共1页"):  # fmt: skip
        assert part in text
    assert all(emb == "yes" for _, emb in fonts_embedded(data))
    ledger = cases(site).GetCase(cpb.GetCaseRequest(name=case)).case.ledger
    entry = next(e for e in ledger if e.seq == got.ledger_seq)
    assert entry.action == "document.effective" and got.part.sha256 in entry.refs
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
