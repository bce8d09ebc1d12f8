"""Every intake document (seed Art 11, 13-15; 若干规定 Art 15) over real gRPC: drafted with
its required fields, refused without each one naming the field and its label (issue 7,
"every document type"), and, once effective, printed with its title and fields."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from liuhen.intake.v1 import intake_pb2 as pb
from liuhen.platform.catalogue import document_type
from liuhen.platform.printing.forms import display
from services.intake.documents import EFFECTS
from tests.printing_support import pdf_text, squeeze
from tests.samples import sample_content
from tests.service.test_intake_acceptance import register
from tests.service.test_printing import fetch_pdf
from tests.support import Site, rid, running_site, status_of

# Where each is drafted, by whom and to whom; the transfer slip needs the head's
# agreement that the intake is not this organisation's first (Art 13, 15).
SETUP = {
    "supplement_notice": ("jiangan", "intake1", ""),
    "non_acceptance_decision": ("jiangan", "intake1", ""),
    "jurisdiction_dispute_request": ("jiangan", "intake1", ""),
    "jurisdiction_transfer_slip": ("jiangan", "intake1", "hongshan"),
    "designation_slip": ("wuhan", "reviewer1", "jiangan"),
}


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    home: Path = tmp_path_factory.mktemp("intakedocs") / "liuhen"
    with running_site(home) as site:
        yield site


def ready(site: Site, code: str) -> str:
    tenant = SETUP[code][0]
    intake = register(site, tenant).name
    if code == "jurisdiction_transfer_slip":
        site.client("intake", tenant, "intake1").DraftFilingApproval(
            pb.DraftFilingApprovalRequest(
                request_id=rid(), intake=intake, within_jurisdiction=False, summary="不属本区"
            )
        )
        site.client("intake", tenant, "head1").ApproveFiling(
            pb.ApproveFilingRequest(request_id=rid(), intake=intake)
        )
    return intake


def draft(site: Site, code: str, intake: str, content: dict[str, object]) -> pb.IntakeDocument:
    tenant, user, recipient = SETUP[code]
    request = pb.DraftIntakeDocumentRequest(
        request_id=rid(),
        intake=intake,
        type=code,
        content_json=json.dumps(content, ensure_ascii=False),
        recipient=recipient,
    )
    doc: pb.IntakeDocument = (
        site.client("intake", tenant, user).DraftIntakeDocument(request).document
    )
    return doc


def test_every_intake_document_type_is_covered() -> None:
    assert set(SETUP) == set(EFFECTS)


@pytest.mark.parametrize("code", sorted(SETUP))
def test_art11_15_each_intake_document_needs_its_required_fields_and_prints_them(
    shared: Site, code: str
) -> None:
    site, content = shared, sample_content(code)
    intake = ready(site, code)
    for f in document_type(code).fields:
        if not f.required:
            continue
        without = {k: v for k, v in content.items() if k != f.name}
        with pytest.raises(grpc.RpcError) as err:
            draft(site, code, intake, without)
        status, reason, meta = status_of(err.value)
        assert (status, reason, meta["field"]) == (
            grpc.StatusCode.INVALID_ARGUMENT,
            "MISSING_FIELD",
            f"content_json.{f.name}",
        )
        assert f.label in (err.value.details() or "")
    doc = draft(site, code, intake, content)
    assert json.loads(doc.content_json) == content
    tenant, user, _ = SETUP[code]
    client = site.client("intake", tenant, user)
    doc = client.SubmitIntakeDocument(
        pb.SubmitIntakeDocumentRequest(request_id=rid(), document=doc.name)
    ).document
    if doc.state != pb.IntakeDocument.EFFECTIVE:
        doc = (
            site.client("intake", tenant, "head1")
            .ApproveIntakeDocument(
                pb.ApproveIntakeDocumentRequest(request_id=rid(), document=doc.name)
            )
            .document
        )
    data, got = fetch_pdf(site, doc.name, tenant=tenant)
    text = pdf_text(data)
    assert squeeze(document_type(code).zh) in text and got.number in text
    types = {f.name: f.type for f in document_type(code).fields}
    for name, value in content.items():
        assert squeeze(display(value, types[name])) in text, name
