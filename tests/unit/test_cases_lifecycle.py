"""The case state machine of documents.yaml (seed Art 16–36), without I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from liuhen.platform.errors import FailedPrecondition, InvalidArgument, PermissionDenied
from services.cases import casefile, lifecycle
from services.cases.casefile import RecordingRef
from services.cases.model import Case, Document

T0 = datetime(2026, 9, 21, 2, 0, tzinfo=UTC)


def walk(path: Sequence[tuple[str, Mapping[str, Any]]], state: str = "investigating") -> str:
    """Play effective documents through the machine the way the handlers do."""
    for code, content in path:
        lifecycle.check_state(code, state)
        state = lifecycle.step(code).next_state(content) or state
    return state


def refused(code: str, state: str) -> FailedPrecondition:
    with pytest.raises(FailedPrecondition) as exc:
        lifecycle.check_state(code, state)
    return exc.value


def test_every_state_the_catalogue_names_is_a_state_of_the_machine() -> None:
    for s in lifecycle.steps().values():
        named = (*s.from_states, s.leads_to, *s.branches.values())
        assert set(filter(None, named)) <= set(lifecycle.STATES), s.code
        assert set(s.requires) <= set(lifecycle.steps()), s.code


def test_art28_29_rectify_then_close() -> None:
    path = [
        ("investigation_final_report", {}),
        ("rectification_order", {"period_days": 10}),
        ("rectification_verification", {}),
        ("closing_approval", {}),
    ]
    assert walk(path) == "closed"
    lifecycle.check_archivable("closed")


def test_art29_revocation_and_suspension_lead_to_archiving() -> None:
    assert walk([("revocation_approval", {})]) == "revoked"
    assert walk([("suspension_approval", {})]) == "suspended"
    for state in ("revoked", "suspended"):
        lifecycle.check_archivable(state)


def test_art30_decline_then_reconsideration_then_filing() -> None:
    path = [
        ("criminal_referral_letter", {}),  # moves the case when sent
        ("criminal_referral_receipt", {}),
        ("police_filing_decision", {"filed": False}),
        ("non_filing_reconsideration_request", {}),
        ("reconsideration_decision", {"filed": True}),
    ]
    assert walk(path) == "police_filed"
    assert walk(path[:3]) == "police_declined"
    assert walk([*path[:3], ("filing_supervision_suggestion", {})]) == "supervision_suggested"


def test_art31_35_penalty_with_statement_and_hearing() -> None:
    path = [
        ("proposed_penalty_approval", {}),
        ("penalty_prior_notice", {}),
        ("statement_application", {}),
        ("statement_record", {}),
        ("hearing_notice", {}),
        ("hearing_result", {}),
        ("statement_deliberation", {"proceed": True}),
    ]
    with pytest.raises(FailedPrecondition):  # the hearing closes the statement stage
        walk(path)
    path = [*path[:4], ("statement_deliberation", {"proceed": True}), *path[4:6]]
    assert walk(path) == "penalty_procedure"
    rest: list[tuple[str, dict[str, Any]]] = [
        ("penalty_approval", {}),
        ("penalty_decision", {}),
        ("performance_record", {}),
    ]
    assert walk([*path, *rest, ("closing_approval", {})]) == "closed"
    assert walk([*path[:4], ("statement_deliberation", {"proceed": False})]) == "no_penalty"


def test_art32_waiver_enters_the_penalty_procedure() -> None:
    path: list[tuple[str, dict[str, Any]]] = [
        ("proposed_penalty_approval", {}),
        ("penalty_prior_notice", {}),
    ]
    assert walk([*path, ("statement_waiver", {})]) == "penalty_procedure"


def test_a_step_out_of_order_names_the_step_needed_first() -> None:
    err = refused("penalty_prior_notice", "investigating")
    assert err.reason == "STEP_OUT_OF_ORDER" and "proposed_penalty_approval" in err.message
    assert "rectification_order" in refused("rectification_verification", "investigating").message
    assert "AssignHandler" in refused("inspection_record", "open").message
    assert "criminal_referral_letter" in refused("police_filing_decision", "investigating").message
    assert refused("closing_approval", "rectifying").article == "seed Art 29"


def test_art42_an_archived_case_takes_no_step_and_only_ends_archived() -> None:
    assert refused("assistance_reply", "archived").reason == "CASE_ARCHIVED"
    with pytest.raises(FailedPrecondition) as exc:
        lifecycle.check_archivable("investigating")
    assert "closing_approval" in exc.value.message


def test_art34_major_case_needs_legal_review_and_collective_discussion() -> None:
    lifecycle.check_requires("penalty_approval", set(), major=False)
    with pytest.raises(FailedPrecondition) as exc:
        lifecycle.check_requires("penalty_approval", {"legal_review"}, major=True)
    assert "collective_discussion" in exc.value.message
    lifecycle.check_requires(
        "penalty_approval", {"legal_review", "collective_discussion"}, major=True
    )


def test_art30_the_letter_needs_the_approval_and_the_approval_the_package() -> None:
    with pytest.raises(FailedPrecondition) as exc:
        lifecycle.check_requires(
            "criminal_referral_approval", {"criminal_referral_report"}, major=False
        )
    assert "referral_materials_list" in exc.value.message
    with pytest.raises(FailedPrecondition):
        lifecycle.check_requires("criminal_referral_letter", set(), major=False)


def case(**kw: object) -> Case:
    base = dict(
        id="c1", tenant_id="jiangan", case_number="JA-1", party="某公司", party_address="",
        complainant="张三", registered_by="intake1", filed_at=T0, state="investigating",
        handler="handler1", reviewer="reviewer1",
    )  # fmt: skip
    return Case(**{**base, **kw})  # type: ignore[arg-type]


def doc(doc_id: str, type_code: str, minute: int, **kw: object) -> Document:
    base = dict(
        id=doc_id, case_id="c1", tenant_id="jiangan", type=type_code, version=1,
        state="effective", content_json="{}", content_sha256=doc_id * 8, drafted_by="handler1",
        drafted_role="handler", chain="", approvals="", from_site="",
        drafted_at=T0.replace(minute=minute), effective_at=T0.replace(minute=minute),
    )  # fmt: skip
    return Document(**{**base, **kw})  # type: ignore[arg-type]


def test_art23_mark_names_grounds_of_art23_only() -> None:
    c = case()
    c.mark(av_reasons=["obstruction", "review_or_litigation"], major=True)
    assert c.av_required and c.av_reasons == "obstruction,review_or_litigation" and c.major
    with pytest.raises(InvalidArgument):
        c.mark(av_reasons=["because"], major=False)


def test_art23_42_case_file_in_order_flags_records_without_recording() -> None:
    c = case(av_reasons="obstruction")
    docs = [
        doc("d2", "inspection_record", 30),
        doc("d1", "interview_record", 10),
        doc("d3", "rectification_order", 40),
        doc("d4", "inspection_record", 50, state="draft", effective_at=None),
    ]
    rec = RecordingRef("cases/c1/recordings/r1", "ab" * 32, "video", T0.replace(minute=5),
                       "cases/c1/documents/d1")  # fmt: skip
    items = casefile.build(c, docs, [rec])
    assert [(i.seq, i.name.rsplit("/", 1)[1]) for i in items] == [
        (1, "r1"), (2, "d1"), (3, "d2"), (4, "d3"),
    ]  # fmt: skip
    assert [i.name for i in items if i.missing_recording] == ["cases/c1/documents/d2"]
    assert not any(i.missing_recording for i in casefile.build(case(), docs, []))
    assert casefile.index_sha256(items) != casefile.index_sha256(items[:-1])


def test_art6_the_handler_may_not_draft_in_the_reviewers_role() -> None:
    from liuhen.platform.catalogue import document_type
    from services.cases.model import check_drafter

    with pytest.raises(PermissionDenied) as exc:
        check_drafter(case(), "reviewer", "handler1", document_type("statement_record"))
    assert exc.value.reason == "SEPARATION_OF_DUTIES"
    with pytest.raises(PermissionDenied) as exc:
        check_drafter(case(), "reviewer", "reviewer2", document_type("statement_record"))
    assert exc.value.reason == "NOT_THE_REVIEWER"


def test_art38_a_court_ruling_is_received_only_on_a_decided_case() -> None:
    court = lifecycle.step("court_ruling")
    assert court.inbound and not court.next_state({})
    lifecycle.check_state("court_ruling", "decided")
    assert "penalty_decision" in refused("court_ruling", "investigating").message
