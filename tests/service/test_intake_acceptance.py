"""Acceptance at the desk over real gRPC (seed Art 6, 11; 若干规定 Art 15; 劳动保障监察
条例 Art 20): non-acceptance decided and approved, ready to be served on the complainant;
an incomplete complaint returned for supplement; old conduct flagged."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from liuhen.intake.v1 import intake_pb2 as pb
from liuhen.platform import ledger
from liuhen.platform.printing import registry
from tests.support import Site, rid, status_of


def register(site: Site, tenant: str = "jiangan", **kw: object) -> pb.Intake:
    base: dict[str, object] = dict(
        request_id=rid(),
        source=pb.SOURCE_VISIT,
        kind=pb.INTAKE_KIND_COMPLAINT,
        complainant=pb.Person(name="张三", contact="138"),
        employer=pb.Employer(name="某建筑公司", address="江岸区"),
        violation="拖欠工资",
    )
    client = site.client("intake", tenant, "intake1")
    return client.RegisterComplaint(pb.RegisterComplaintRequest(**{**base, **kw})).intake


def draft(
    site: Site,
    intake: str,
    type: str,
    content: dict[str, object],
    *,
    as_: str = "intake1",
    submit: bool = True,
    **kw: str,
) -> pb.DraftIntakeDocumentResponse | pb.SubmitIntakeDocumentResponse:
    """Draft an intake document and (unless `submit` is false) submit it."""
    tenant = kw.pop("tenant", "jiangan")
    client = site.client("intake", tenant, as_)
    drafted = client.DraftIntakeDocument(
        pb.DraftIntakeDocumentRequest(
            request_id=rid(),
            intake=intake,
            type=type,
            content_json=json.dumps(content, ensure_ascii=False),
            **kw,
        )
    )
    if not submit:
        return drafted
    return client.SubmitIntakeDocument(
        pb.SubmitIntakeDocumentRequest(request_id=rid(), document=drafted.document.name)
    )


def approve(
    site: Site, document: str, *, as_: str = "head1", tenant: str = "jiangan"
) -> pb.ApproveIntakeDocumentResponse:
    return site.client("intake", tenant, as_).ApproveIntakeDocument(
        pb.ApproveIntakeDocumentRequest(request_id=rid(), document=document, comment="同意")
    )


def failure(call: object) -> tuple[grpc.StatusCode, str, dict[str, str]]:
    with pytest.raises(grpc.RpcError) as err:
        call()  # type: ignore[operator]
    return status_of(err.value)


def test_art11_non_acceptance_decision_is_approved_by_the_head_and_ready_to_serve(
    site: Site,
) -> None:
    intake = register(site)
    drafted = draft(
        site, intake.name, "non_acceptance_decision", {"grounds": "不属劳动保障监察范围"}
    )
    assert drafted.document.state == pb.IntakeDocument.SUBMITTED
    assert list(drafted.document.approval_chain) == ["head"]
    assert drafted.intake.state == pb.Intake.NON_ACCEPTANCE_DRAFTED

    effective = approve(site, drafted.document.name)
    doc = effective.document
    assert (doc.state, effective.intake.state) == (
        pb.IntakeDocument.EFFECTIVE,
        pb.Intake.NOT_ACCEPTED,
    )
    assert effective.intake.state_zh == "不予受理"  # the console shows it (states.yaml)
    assert doc.title_zh == "劳动保障监察不予受理决定书"
    assert list(doc.served_to) == ["complainant"] and doc.decision_document
    assert doc.approved_by == site.user_id("jiangan", "head1")
    assert doc.effective_time.seconds > 0 and len(doc.content_sha256) == 64

    # What the enforcement service would read to serve it on the complainant (Art 37).
    got = site.client("intake", "jiangan", "handler1").GetIntakeDocument(
        pb.GetIntakeDocumentRequest(name=doc.name)
    )
    assert got.document == doc
    assert got.intake.complainant.name == "张三"
    # Another district never sees it.
    code, _, _ = failure(
        lambda: site.client("intake", "hongshan", "handler1").GetIntakeDocument(
            pb.GetIntakeDocumentRequest(name=doc.name)
        )
    )
    assert code == grpc.StatusCode.NOT_FOUND
    # Effective is final: no second approval, no filing afterwards.
    assert failure(lambda: approve(site, doc.name))[1] == "NOT_SUBMITTED"
    with site.running["intake"].platform.db.unit_of_work("jiangan") as uow:
        entries = ledger.entries(uow, intake.name.removeprefix("intakes/"))
        # Every step is recorded (Art 45): the print's entry, with its sheet's SHA-256,
        # before the intake moves; the PDF's, rendered after the commit, follows.
        assert [e.action for e in entries][-6:] == [
            "non_acceptance_decision.drafted",
            "non_acceptance_decision.submitted",
            "non_acceptance_decision.approved",
            "document.effective",
            "non_acceptance_decision.effective",
            "document.printed",
        ]
        assert doc.content_sha256 in entries[-6].refs
        row = registry.find(uow, doc.name)
        assert row is not None and re.fullmatch(r"江岸人社监不受〔\d{4}〕1号", row.number)
        assert (entries[-3].service, entries[-3].seq) == ("intake", row.ledger_seq)
        sheet = registry.sheet_sha256(row.sheet_json)
        assert list(entries[-3].refs) == [doc.content_sha256, sheet]
        assert list(entries[-1].refs) == [sheet, row.pdf_sha256]


def test_art6_nobody_approves_a_non_acceptance_they_drafted_or_registered(site: Site) -> None:
    both = site.client("intake", "jiangan", "desk-head", roles=("intake", "head"))
    intake = both.RegisterComplaint(
        pb.RegisterComplaintRequest(
            request_id=rid(),
            source=pb.SOURCE_PHONE,
            kind=pb.INTAKE_KIND_REPORT,
            complainant=pb.Person(anonymous=True),
            employer=pb.Employer(name="某公司"),
            violation="未缴社保",
        )
    ).intake
    doc = both.DraftIntakeDocument(
        pb.DraftIntakeDocumentRequest(
            request_id=rid(),
            intake=intake.name,
            type="non_acceptance_decision",
            content_json='{"grounds": "x"}',
        )
    )
    both.SubmitIntakeDocument(
        pb.SubmitIntakeDocumentRequest(request_id=rid(), document=doc.document.name)
    )
    code, reason, meta = failure(
        lambda: both.ApproveIntakeDocument(
            pb.ApproveIntakeDocumentRequest(request_id=rid(), document=doc.document.name)
        )
    )
    assert (code, reason, meta["article"]) == (
        grpc.StatusCode.PERMISSION_DENIED,
        "SEPARATION_OF_DUTIES",
        "seed Art 6",
    )
    code, reason, _ = failure(lambda: approve(site, doc.document.name, as_="intake2"))
    assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "APPROVER_ROLE_REQUIRED")
    assert approve(site, doc.document.name).document.state == pb.IntakeDocument.EFFECTIVE


def test_art11_a_non_acceptance_needs_its_grounds(site: Site) -> None:
    intake = register(site)
    code, reason, meta = failure(
        lambda: draft(site, intake.name, "non_acceptance_decision", {"grounds": ""})
    )
    assert (code, reason, meta["field"]) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "MISSING_FIELD",
        "content_json.grounds",
    )


def test_rules15_an_incomplete_complaint_is_returned_for_supplement_and_then_filed(
    site: Site,
) -> None:
    intake = register(site)
    notice = draft(site, intake.name, "supplement_notice", {"missing": "劳动合同或工资条"})
    # No approval step: the 告知补正 is effective once submitted, served on the complainant.
    assert notice.document.state == pb.IntakeDocument.EFFECTIVE
    assert list(notice.document.served_to) == ["complainant"]
    assert notice.intake.state == pb.Intake.SUPPLEMENT_REQUESTED
    code, reason, _ = failure(
        lambda: site.client("intake", "jiangan", "intake1").DraftFilingApproval(
            pb.DraftFilingApprovalRequest(
                request_id=rid(), intake=intake.name, within_jurisdiction=True, summary="立案"
            )
        )
    )
    assert (code, reason) == (grpc.StatusCode.FAILED_PRECONDITION, "FILING_ALREADY_DRAFTED")

    desk = site.client("intake", "jiangan", "intake1")
    desk.RecordMaterial(
        pb.RecordMaterialRequest(
            request_id=rid(), intake=intake.name, submitted_by="complainant", description="工资条"
        )
    )
    again = desk.GetIntake(pb.GetIntakeRequest(name=intake.name)).intake
    assert again.state == pb.Intake.REGISTERED
    desk.DraftFilingApproval(
        pb.DraftFilingApprovalRequest(
            request_id=rid(), intake=intake.name, within_jurisdiction=True, summary="立案"
        )
    )
    filed = (
        site.client("intake", "jiangan", "head1")
        .ApproveFiling(pb.ApproveFilingRequest(request_id=rid(), intake=intake.name))
        .intake
    )
    assert filed.state == pb.Intake.FILED and filed.case_number


def test_regulation20_conduct_older_than_two_years_is_flagged_for_non_acceptance(
    site: Site,
) -> None:
    received = Timestamp()
    received.FromDatetime(datetime(2026, 11, 2, 9, tzinfo=UTC))
    old = register(site, received_time=received, conduct_ended_on="2024-10-31")
    recent = register(site, received_time=received, conduct_ended_on="2024-11-02")
    reported = register(
        site, received_time=received, conduct_ended_on="2023-01-01", reported_within_two_years=True
    )
    assert (old.time_barred, recent.time_barred, reported.time_barred) == (True, False, False)

    code, reason, meta = failure(
        lambda: site.client("intake", "jiangan", "intake1").DraftFilingApproval(
            pb.DraftFilingApprovalRequest(
                request_id=rid(), intake=old.name, within_jurisdiction=True, summary="立案"
            )
        )
    )
    assert (code, reason, meta["article"]) == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "TIME_BARRED",
        "劳动保障监察条例 Art 20",
    )
    doc = draft(site, old.name, "non_acceptance_decision", {"grounds": "超过两年"}).document
    assert json.loads(doc.content_json)["time_barred"] is True
    assert approve(site, doc.name).intake.state == pb.Intake.NOT_ACCEPTED


def test_design8_a_malformed_conduct_date_is_invalid_argument(site: Site) -> None:
    code, reason, meta = failure(lambda: register(site, conduct_ended_on="31/10/2024"))
    assert (code, reason, meta["field"]) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "MALFORMED_DATE",
        "conduct_ended_on",
    )
