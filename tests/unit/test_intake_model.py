"""Intake rules (seed Art 6, 9–11)."""

from datetime import UTC, date, datetime

import pytest

from liuhen.platform.errors import FailedPrecondition, InvalidArgument, PermissionDenied
from liuhen.platform.stamps import stamps_for
from services.intake.model import (
    Intake,
    RegisterComplaint,
    case_number,
    validate_registration,
)


def cmd(**kw):
    base = dict(
        source="phone",
        kind="complaint",
        complainant_name="张三",
        anonymous=False,
        gender="",
        contact="",
        employer_name="某公司",
        employer_address="",
        violation="拖欠工资",
        received_at=datetime(2026, 11, 27, tzinfo=UTC),
    )
    return RegisterComplaint(**{**base, **kw})


def intake(**kw):
    return Intake(id="i1", tenant_id="jiangan", registered_by="u-intake", **cmd(**kw).__dict__)


def test_art9_stamp_names_the_day_and_the_submitter():
    assert stamps_for(
        submitted_by="complainant", day=date(2026, 11, 27), is_copy=False, checked=False
    ) == ["2026年11月27日投诉人提交资料"]


def test_art9_a_checked_copy_gets_the_copy_stamp_too():
    stamps = stamps_for(submitted_by="reporter", day=date(2026, 1, 5), is_copy=True, checked=True)
    assert stamps == ["2026年1月5日举报人提交资料", "经核对，原件与复印件一致"]


def test_art9_an_unchecked_copy_is_refused():
    with pytest.raises(InvalidArgument) as err:
        stamps_for(submitted_by="complainant", day=date(2026, 1, 5), is_copy=True, checked=False)
    assert err.value.reason == "COPY_NOT_CHECKED" and "Art 9" in err.value.article


def test_art10_a_report_may_be_anonymous_but_a_complaint_may_not():
    validate_registration(cmd(kind="report", anonymous=True, complainant_name=""))
    with pytest.raises(InvalidArgument):
        validate_registration(cmd(kind="complaint", anonymous=True))


def test_art8_unknown_source_is_refused():
    with pytest.raises(InvalidArgument) as err:
        validate_registration(cmd(source="pigeon"))
    assert err.value.field == "source"


def test_art11_approval_needs_a_drafted_filing_form():
    with pytest.raises(FailedPrecondition):
        intake().approve_filing(user="u-head", case_number="n")


def test_art6_nobody_approves_the_filing_they_drafted():
    i = intake()
    i.draft_filing(user="u-desk", within_jurisdiction=True, summary="s")
    with pytest.raises(PermissionDenied) as err:
        i.approve_filing(user="u-desk", case_number="n")
    assert err.value.article == "seed Art 6"


def test_art15_approved_filing_carries_the_case_number():
    i = intake()
    i.draft_filing(user="u-desk", within_jurisdiction=True, summary="s")
    i.approve_filing(user="u-head", case_number=case_number("江岸区", 2026, 7))
    assert i.state == "filed" and i.case_number == "江岸区劳监立〔2026〕7号"


def test_art12_transfer_and_assignment_by_hand_name_the_referring_agency():
    from services.intake.model import check_referral

    check_referral(cmd(source="transfer", referring_agency="市信访局"))
    check_referral(cmd(source="phone"))
    with pytest.raises(InvalidArgument) as err:
        check_referral(cmd(source="assignment", referring_agency="  "))
    assert err.value.reason == "REFERRING_AGENCY_REQUIRED"
