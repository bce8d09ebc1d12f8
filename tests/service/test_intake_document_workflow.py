"""Intake documents in the one document workflow over real gRPC (seed Art 6, 11, 13-15;
DESIGN §4): submitted, returned with reasons, corrected as a new version, approved by
the head; a correction of an effective slip sends nothing again."""

from __future__ import annotations

import json

import grpc
import pytest

from liuhen.intake.v1 import intake_pb2 as pb
from liuhen.platform import ledger
from tests.service.test_intake_acceptance import approve, draft, register
from tests.support import Site, rid, status_of


def returned(site: Site, document: str, reasons: str, as_: str = "head1") -> pb.IntakeDocument:
    reply = site.client("intake", "jiangan", as_).ReturnIntakeDocument(
        pb.ReturnIntakeDocumentRequest(request_id=rid(), document=document, reasons=reasons)
    )
    return reply.document


def refused(call: object) -> tuple[grpc.StatusCode, str, dict[str, str]]:
    with pytest.raises(grpc.RpcError) as err:
        call()  # type: ignore[operator]
    return status_of(err.value)


def test_art11_a_returned_non_acceptance_is_corrected_as_a_new_version_then_approved(
    site: Site,
) -> None:
    intake = register(site)
    first = draft(site, intake.name, "non_acceptance_decision", {"grounds": "不属监察范围"})
    assert first.document.state == pb.IntakeDocument.SUBMITTED

    code, reason, meta = refused(lambda: returned(site, first.document.name, " "))
    assert (code, reason, meta["field"]) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "REASONS_REQUIRED",
        "reasons",
    )
    code, reason, _ = refused(lambda: returned(site, first.document.name, "x", as_="intake2"))
    assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "APPROVER_ROLE_REQUIRED")
    back = returned(site, first.document.name, "写明不属于劳动保障监察范围的具体依据")
    assert (back.state, list(back.approval_chain), list(back.approvals)) == (
        pb.IntakeDocument.RETURNED,
        ["head"],
        [],
    )
    assert refused(lambda: approve(site, back.name))[1] == "NOT_SUBMITTED"

    grounds = "劳动者与用人单位之间系民事雇佣关系，不属《劳动保障监察条例》第十一条所列事项"
    second = draft(
        site,
        intake.name,
        "non_acceptance_decision",
        {"grounds": grounds},
        supersedes=back.name,
    )
    doc = second.document
    assert (doc.version, doc.supersedes, doc.state) == (2, back.name, pb.IntakeDocument.SUBMITTED)
    assert second.intake.state == pb.Intake.NON_ACCEPTANCE_DRAFTED
    old = site.client("intake", "jiangan", "intake1").GetIntakeDocument(
        pb.GetIntakeDocumentRequest(name=back.name)
    )
    assert old.document.state == pb.IntakeDocument.SUPERSEDED
    resubmit = site.client("intake", "jiangan", "intake1").SubmitIntakeDocument
    code, reason, _ = refused(
        lambda: resubmit(pb.SubmitIntakeDocumentRequest(request_id=rid(), document=back.name))
    )
    assert (code, reason) == (grpc.StatusCode.FAILED_PRECONDITION, "NOT_A_DRAFT")

    done = approve(site, doc.name)
    assert (done.document.state, done.intake.state) == (
        pb.IntakeDocument.EFFECTIVE,
        pb.Intake.NOT_ACCEPTED,
    )
    assert json.loads(done.document.content_json)["grounds"] == grounds
    assert list(done.document.approvals) == [f"head:{site.user_id('jiangan', 'head1')}"]
    with site.running["intake"].platform.db.unit_of_work("jiangan") as uow:
        actions = [e.action for e in ledger.entries(uow, intake.name.removeprefix("intakes/"))]
    assert actions[-9:] == [
        "non_acceptance_decision.drafted",
        "non_acceptance_decision.submitted",
        "non_acceptance_decision.returned",
        "non_acceptance_decision.drafted",
        "non_acceptance_decision.submitted",
        "non_acceptance_decision.approved",
        "document.effective",  # the print of the corrected version (Art 45)
        "non_acceptance_decision.effective",
        "document.printed",  # its PDF, rendered after the approval's commit
    ]


def test_rules15_a_corrected_supplement_notice_changes_the_intake_once(site: Site) -> None:
    intake = register(site)
    first = draft(site, intake.name, "supplement_notice", {"missing": "工资条"}).document
    assert first.state == pb.IntakeDocument.EFFECTIVE
    second = draft(
        site,
        intake.name,
        "supplement_notice",
        {"missing": "工资条及劳动合同", "period": {"amount": 5, "unit": "working_days"}},
        supersedes=first.name,
    )
    assert (second.document.state, second.document.version) == (pb.IntakeDocument.EFFECTIVE, 2)
    assert second.intake.state == pb.Intake.SUPPLEMENT_REQUESTED
    with site.running["intake"].platform.db.unit_of_work("jiangan") as uow:
        actions = [e.action for e in ledger.entries(uow, intake.name.removeprefix("intakes/"))]
    assert actions.count("supplement_notice.effective") == 1
    assert actions.count("document.effective") == 2  # each version prints, numbered


def test_art6_the_registrar_may_not_return_what_reaches_the_head(site: Site) -> None:
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
    doc = draft(site, intake.name, "non_acceptance_decision", {"grounds": "x"}).document
    code, reason, meta = refused(
        lambda: both.ReturnIntakeDocument(
            pb.ReturnIntakeDocumentRequest(request_id=rid(), document=doc.name, reasons="改")
        )
    )
    assert (code, reason, meta["article"]) == (
        grpc.StatusCode.PERMISSION_DENIED,
        "SEPARATION_OF_DUTIES",
        "seed Art 6",
    )


@pytest.mark.parametrize(
    ("code", "content", "field"),
    [
        ("supplement_notice", {}, "content_json.missing"),
        (
            "supplement_notice",
            {"missing": "工资条", "period": {"amount": 5}},
            "content_json.period",
        ),
        ("non_acceptance_decision", {"grounds": "x", "reason": "typo"}, "content_json.reason"),
    ],
)
def test_design8_an_intake_document_with_a_bad_field_is_refused_naming_it(
    site: Site, code: str, content: dict[str, object], field: str
) -> None:
    intake = register(site)
    status, _, meta = refused(lambda: draft(site, intake.name, code, content, submit=False))
    assert (status, meta["field"]) == (grpc.StatusCode.INVALID_ARGUMENT, field)
