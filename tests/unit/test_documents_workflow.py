"""The one document workflow (liuhen/platform/documents.py) without I/O: submit, review,
return with reasons, approve along the catalogue's chain, corrections as new versions,
drafters per level (seed Art 6, 13-15, 29; DESIGN §4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest

from liuhen.platform.catalogue import document_type
from liuhen.platform.documents import Workflow, drafting_role
from liuhen.platform.errors import FailedPrecondition, InvalidArgument, PermissionDenied

NOW = datetime(2026, 11, 30, 9, tzinfo=UTC)
REVIEWER, HEAD = frozenset({"reviewer"}), frozenset({"head"})


@dataclass
class Doc(Workflow):
    type: str
    version: int
    state: str
    chain: str
    approvals: str
    drafted_by: str
    effective_at: datetime | None = None


def drafted(code: str = "revocation_approval") -> Doc:
    return Doc(code, 1, "draft", ",".join(document_type(code).approval), "", "handler1")


def test_art29_the_chain_is_the_catalogues_review_then_approval() -> None:
    doc = drafted()
    doc.submit(user="handler1", now=NOW)
    assert (doc.state, doc.pending) == ("submitted", ["reviewer", "head"])
    with pytest.raises(PermissionDenied):
        doc.approve(user="u-head", roles=HEAD, now=NOW)  # the reviewer's turn
    doc.pass_review(user="u-rev", roles=REVIEWER, now=NOW)
    assert doc.approve(user="u-head", roles=HEAD, now=NOW) == "head"
    assert (doc.state, doc.given, doc.effective_at) == (
        "effective",
        ["reviewer:u-rev", "head:u-head"],
        NOW,
    )


def test_a_document_without_a_chain_is_effective_once_submitted() -> None:
    doc = drafted("supplement_notice")
    with pytest.raises(PermissionDenied):
        doc.submit(user="someone-else", now=NOW)
    doc.submit(user="handler1", now=NOW)
    assert doc.state == "effective"
    with pytest.raises(FailedPrecondition):
        doc.submit(user="handler1", now=NOW)


def test_art29_a_return_needs_reasons_and_the_whole_chain_acts_again() -> None:
    doc = drafted()
    doc.submit(user="handler1", now=NOW)
    doc.pass_review(user="u-rev", roles=REVIEWER, now=NOW)
    with pytest.raises(InvalidArgument) as err:
        doc.return_for_changes(user="u-head", roles=HEAD, reasons=" ")
    assert err.value.reason == "REASONS_REQUIRED"
    assert doc.return_for_changes(user="u-head", roles=HEAD, reasons="补充事实") == "head"
    assert (doc.state, doc.pending, doc.given) == ("returned", ["reviewer", "head"], [])
    doc.submit(user="handler1", now=NOW)
    assert doc.next_role("review") == "reviewer"


def test_art6_nobody_reviews_or_approves_what_they_drafted_and_only_the_role_acts() -> None:
    doc = drafted("non_acceptance_decision")
    doc.drafted_by = "u-head"
    doc.submit(user="u-head", now=NOW)
    with pytest.raises(PermissionDenied) as err:
        doc.approve(user="u-head", roles=HEAD, now=NOW)
    assert (err.value.reason, err.value.article) == ("SEPARATION_OF_DUTIES", "seed Art 6")
    with pytest.raises(PermissionDenied) as err:
        doc.approve(user="u-2", roles=frozenset({"intake"}), now=NOW)
    assert err.value.reason == "APPROVER_ROLE_REQUIRED"


def test_corrections_are_new_versions_of_effective_or_returned_documents() -> None:
    doc = drafted("supplement_notice")
    with pytest.raises(FailedPrecondition) as err:
        doc.correction_version("supplement_notice")  # a draft is changed, not corrected
    assert err.value.field == "supersedes"
    doc.submit(user="handler1", now=NOW)
    assert doc.correction_version("supplement_notice") == 2
    with pytest.raises(FailedPrecondition):
        doc.correction_version("non_acceptance_decision")
    doc.supersede()
    assert doc.state == "effective"  # an effective version stays as it is

    returned = drafted()
    returned.submit(user="handler1", now=NOW)
    returned.return_for_changes(user="u-rev", roles=REVIEWER, reasons="补充")
    assert returned.correction_version("revocation_approval") == 2
    returned.supersede()
    with pytest.raises(FailedPrecondition):
        returned.submit(user="handler1", now=NOW)


@pytest.mark.parametrize(
    ("code", "level", "roles", "expected"),
    [
        ("jurisdiction_transfer_slip", "district", {"intake"}, "intake"),
        ("jurisdiction_transfer_slip", "district", {"reviewer"}, "reviewer"),
        ("jurisdiction_transfer_slip", "city", {"reviewer", "intake"}, "reviewer"),
        ("designation_slip", "city", {"reviewer"}, "reviewer"),
        ("rectification_order", "city", {"handler"}, "handler"),
        ("statement_application", "district", {"reviewer"}, "reviewer"),  # recorded_by
    ],
)
def test_art13_15_drafters_per_level_come_from_the_catalogue(code, level, roles, expected) -> None:
    assert drafting_role(document_type(code), level=level, roles=roles) == expected


def test_art13_15_the_wrong_level_role_or_author_is_refused() -> None:
    with pytest.raises(PermissionDenied) as denied:
        drafting_role(document_type("jurisdiction_transfer_slip"), level="city", roles={"intake"})
    assert denied.value.reason == "ROLE_REQUIRED"
    with pytest.raises(FailedPrecondition) as level:
        drafting_role(document_type("designation_slip"), level="district", roles={"reviewer"})
    assert level.value.reason == "NOT_AT_THIS_LEVEL"
    with pytest.raises(InvalidArgument) as outside:
        drafting_role(document_type("court_ruling"), level="district", roles={"reviewer"})
    assert outside.value.reason == "NOT_DRAFTED_HERE"
