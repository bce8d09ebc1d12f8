"""The supervision report's rules (seed Art 47), without I/O: services/media/report.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from liuhen.platform.errors import InvalidArgument
from services.media.copies import INTACT, OFFSITE_MISSING, fixity
from services.media.report import (
    LATE_STORAGE,
    LEDGER,
    MISSING_FOOTAGE,
    NOT_COMPUTED,
    OFFSITE,
    SECTIONS,
    UNAPPROVED,
    UNEXPLAINED,
    ChainCheck,
    CopyFinding,
    Finding,
    Gathered,
    LateRecording,
    build,
    check_period,
    from_json,
    scheduled_period,
    to_json,
)

T0 = datetime(2026, 11, 1, tzinfo=UTC)
T1 = T0 + timedelta(days=30)
CASE = "0b7f7c54-4c0a-4c39-9a4e-3c1b2f0d9e11"


def gathered(**overrides: object) -> Gathered:
    base: dict[str, object] = {
        "recordings": 3,
        "late": [
            LateRecording(
                f"cases/{CASE}/recordings/r1",
                CASE,
                "武劳监江岸〔2026〕1号",
                end_time=T0 + timedelta(days=1),
                stored_at=T0 + timedelta(days=4),
            )
        ],
        "copy_findings": [
            CopyFinding(f"cases/{CASE}/recordings/r2", CASE, OFFSITE_MISSING, "off-site None", T0)
        ],
        "chains": [
            ChainCheck(CASE, ok=True),
            ChainCheck("other", ok=False, first_bad_seq=3, detail="entry 3 was altered"),
        ],
        "case_numbers": {CASE: "武劳监江岸〔2026〕1号"},
    }
    base.update(overrides)
    return Gathered(**base)  # type: ignore[arg-type]


def test_art47_the_report_has_every_section_in_order_with_its_article():
    report = build("jiangan", T0, T1, T1, gathered())
    assert [s.spec for s in report.sections] == list(SECTIONS)
    assert all(s.spec.article.startswith("seed Art") for s in report.sections)


def test_art41_a_late_recording_is_listed_with_how_late_it_was_stored():
    (late,) = build("jiangan", T0, T1, T1, gathered()).section(LATE_STORAGE.name).findings
    assert late.subject.endswith("/recordings/r1")
    assert late.case_number == "武劳监江岸〔2026〕1号"
    assert "3.0 days" in late.detail


def test_art41_an_offsite_finding_names_its_state_and_case_number():
    (found,) = build("jiangan", T0, T1, T1, gathered()).section(OFFSITE.name).findings
    assert found.detail.startswith("offsite_missing")
    assert found.case_number == "武劳监江岸〔2026〕1号"


def test_art45_only_the_chains_that_fail_to_verify_are_findings():
    (bad,) = build("jiangan", T0, T1, T1, gathered()).section(LEDGER.name).findings
    assert bad.subject == "ledgers/other" and "entry 3" in bad.detail
    assert build("jiangan", T0, T1, T1, gathered()).ledger_chains == 2


def test_art47_a_section_the_reporting_site_did_not_compute_is_not_available_and_says_so():
    report = build("jiangan", T0, T1, T1, gathered())
    for spec in (MISSING_FOOTAGE, UNEXPLAINED, UNAPPROVED):
        section = report.section(spec.name)
        assert not section.available and not section.findings
        assert section.note == NOT_COMPUTED
    assert report.section(LATE_STORAGE.name).available


def test_art47_a_source_that_exists_fills_its_section():
    gap = Finding("sessions/s1", CASE, detail="gap of 4 min unexplained")
    report = build("jiangan", T0, T1, T1, gathered(unexplained=[gap], unapproved=[]))
    assert report.section(UNEXPLAINED.name).findings == (gap,)
    assert report.section(UNAPPROVED.name).available
    assert not report.section(UNAPPROVED.name).findings


def test_art47_a_clean_report_has_no_findings():
    report = build("jiangan", T0, T1, T1, gathered(late=[], copy_findings=[], chains=[]))
    assert report.clean
    assert not build("jiangan", T0, T1, T1, gathered()).clean


def test_art47_the_report_survives_its_trip_to_the_city_as_json():
    report = build("jiangan", T0, T1, T1, gathered())
    assert from_json(to_json(report)) == report


@pytest.mark.parametrize(
    ("start", "end"),
    [(None, T1), (T0, None), (T1, T0), (T0, T0), (T0, T0 + timedelta(days=367))],
)
def test_art47_a_period_must_be_given_forward_and_at_most_a_year(start, end):
    with pytest.raises(InvalidArgument):
        check_period(start, end)


def test_art47_scheduled_periods_are_whole_and_the_same_for_every_replica():
    epoch, week = datetime(2020, 1, 6, tzinfo=UTC), timedelta(days=7)
    now = datetime(2026, 12, 2, 7, 0, tzinfo=UTC)  # a Wednesday
    start, end = scheduled_period(now, week, epoch)
    assert end - start == week and end <= now < end + week
    assert end.weekday() == 0 and (end.hour, end.minute) == (0, 0)
    assert scheduled_period(now + timedelta(hours=5), week, epoch) == (start, end)


def test_art41_a_copied_recording_whose_offsite_copy_is_gone_is_a_finding():
    sha = "a" * 64
    assert fixity(sha, sha, None, copied=True) == OFFSITE_MISSING
    assert fixity(sha, sha, None, copied=False) == INTACT  # not made yet: pending, not gone
    assert fixity(sha, sha, sha, copied=True) == INTACT
