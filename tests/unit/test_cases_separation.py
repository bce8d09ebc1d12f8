"""Art 6 (接待受理、办理、审理工作三分离) on the case: the intake side — who registered the
intake, drafted its filing approval, approved its filing — neither handles nor reviews it
(docs/separation.md)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from liuhen.platform.errors import PermissionDenied
from services.cases.model import Case, Document, check_reviewer

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


def open_case() -> Case:
    return Case(
        id="c1", tenant_id="jiangan", case_number="JA-1", party="某公司", party_address="",
        complainant="张三", registered_by="intake1", filed_at=T0,
        filing_drafted_by="intake2", filing_approved_by="head1",
    )  # fmt: skip


def test_art6_the_intake_side_is_the_registrar_the_filing_drafter_and_its_approver() -> None:
    assert open_case().intake_side == {"intake1", "intake2", "head1"}


@pytest.mark.parametrize("who", ["intake1", "intake2", "head1"])
def test_art6_nobody_on_the_intake_side_handles_the_case(who: str) -> None:
    with pytest.raises(PermissionDenied) as err:
        open_case().assign(handler=who, handler_name="x", reviewer="reviewer1")
    assert (err.value.reason, err.value.article) == ("SEPARATION_OF_DUTIES", "seed Art 6")


@pytest.mark.parametrize("who", ["intake1", "intake2", "head1", "handler1"])
def test_art6_nobody_on_the_intake_side_nor_the_handler_reviews_the_case(who: str) -> None:
    with pytest.raises(PermissionDenied) as err:
        open_case().assign(handler="handler1", handler_name="x", reviewer=who)
    assert err.value.reason == "SEPARATION_OF_DUTIES"


def test_art6_a_head_who_took_no_part_in_the_intake_may_handle_it() -> None:
    case = open_case()
    case.assign(handler="head2", handler_name="负责人乙", reviewer="reviewer1")
    assert (case.handler, case.state) == ("head2", "investigating")


def test_art6_the_head_who_approved_filing_may_not_review_a_document() -> None:
    case = open_case()
    case.assign(handler="handler1", handler_name="x", reviewer="")
    doc = Document(
        id="d1", case_id="c1", tenant_id="jiangan", type="rectification_order", version=1,
        state="submitted", content_json="{}", content_sha256="", drafted_by="handler1",
        drafted_role="handler", chain="reviewer,head", approvals="", from_site="",
        drafted_at=T0,
    )  # fmt: skip
    with pytest.raises(PermissionDenied) as err:
        check_reviewer(case, doc, "head1")
    assert err.value.reason == "SEPARATION_OF_DUTIES"
