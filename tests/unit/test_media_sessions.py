"""The session and gap rules of the recording chapter (seed Art 23–26, 41), without I/O."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from liuhen.platform.errors import FailedPrecondition, InvalidArgument
from services.media.rules import rules
from services.media.sessions import (
    FLAGGED,
    CreateSession,
    Gap,
    ImageNote,
    Officer,
    Segment,
    check_note,
    check_resume_reason,
    check_segment,
    gap_to_explain,
    gaps,
    missing_footage,
    new_session,
    reconcile,
)

T0 = datetime(2026, 5, 6, 9, 0, tzinfo=UTC)
TOL = timedelta(seconds=30)
CASE = "0d4c1c1e-0000-4000-8000-000000000001"


def minutes(n: float) -> datetime:
    return T0 + timedelta(minutes=n)


def seg(rid: str, start: float, end: float, reason: str = "") -> Segment:
    return Segment(rid, minutes(start), minutes(end), reason)


def command(**over: object) -> CreateSession:
    values: dict[str, object] = {
        "request_id": "r1",
        "case_id": CASE,
        "arrival": minutes(0),
        "departure": minutes(60),
        "place": "江岸区某工地",
        "purpose": "现场检查工资支付",
        "officers": (Officer("李四", "42010001"), Officer("王五", "42010002")),
        "parties_present": ("某建筑劳务公司 项目经理 赵六",),
    }
    values.update(over)
    return CreateSession(**values)  # type: ignore[arg-type]


def test_art26_a_gap_is_longer_than_the_catalogues_tolerance() -> None:
    assert rules().gap == TOL
    found = gaps([seg("a", 0, 20), seg("b", 20.4, 60)], minutes(60), TOL)
    assert found == []
    found = gaps([seg("a", 0, 20), seg("b", 25, 60)], minutes(60), TOL)
    assert found == [Gap("a", "b", minutes(20), minutes(25))]


def test_art26_the_resuming_segment_carries_the_spoken_reason() -> None:
    found = gaps([seg("b", 25, 60, "battery_exhausted"), seg("a", 0, 20)], minutes(60), TOL)
    assert found == [Gap("a", "b", minutes(20), minutes(25), "battery_exhausted")]


def test_art24_footage_that_stops_before_departure_leaves_a_trailing_gap() -> None:
    found = gaps([seg("a", 0, 40)], minutes(60), TOL)
    assert found == [Gap("a", "", minutes(40), minutes(60))]


def test_art24_overlapping_segments_of_two_cameras_cover_each_other() -> None:
    found = gaps([seg("a", 0, 50), seg("b", 10, 20), seg("c", 49, 60)], minutes(60), TOL)
    assert found == []


def test_art26_reconcile_flags_once_clears_by_reason_and_by_footage() -> None:
    unexplained = Gap("a", "c", minutes(20), minutes(40))
    changes = reconcile([unexplained], {})
    assert [(c.action, c.after) for c in changes] == [("flag", "a")]
    assert reconcile([unexplained], {"a": FLAGGED}) == []
    spoken = Gap("a", "b", minutes(20), minutes(25), "storage_full")
    assert [(c.action, c.after) for c in reconcile([spoken], {"a": FLAGGED})] == [("spoken", "a")]
    assert [(c.action, c.after) for c in reconcile([], {"a": FLAGGED})] == [("filled", "a")]
    assert [(c.action, c.after) for c in reconcile([], {"a": "explained"})] == [("filled", "a")]
    assert reconcile([], {"a": "filled"}) == []
    assert reconcile([spoken], {"a": "explained"}) == []
    assert reconcile([unexplained], {"a": "explained"}, written=["a"]) == []
    # The segment that explained it no longer resumes the gap: flagged again.
    assert [c.action for c in reconcile([unexplained], {"a": "explained"})] == ["flag"]


def test_art26_the_gaps_come_out_the_same_whatever_order_segments_arrive_in() -> None:
    parts = [seg("s0", 0, 10), seg("s1", 20, 30, "bad_weather"), seg("s2", 40, 60),
             seg("s3", 10.2, 19)]  # fmt: skip
    finals = set()
    for order in itertools.permutations(parts):
        states: dict[str, str] = {}
        for i in range(1, len(order) + 1):
            for c in reconcile(gaps(order[:i], minutes(60), TOL), states):
                states[c.after] = {"spoken": "explained", "flag": FLAGGED}.get(c.action, "filled")
        finals.add(tuple(sorted((a, st) for a, st in states.items() if st != "filled")))
    assert finals == {(("s1", FLAGGED), ("s3", "explained"))}


def test_art26_a_written_explanation_needs_an_open_gap() -> None:
    with pytest.raises(FailedPrecondition) as none:
        gap_to_explain([], [], "")
    assert none.value.reason == "NO_GAP"
    g = Gap("a", "", minutes(40), minutes(60))
    assert gap_to_explain([g], ["a"], "") == g
    with pytest.raises(FailedPrecondition) as closed:
        gap_to_explain([g], [], "a")
    assert closed.value.reason == "NO_OPEN_GAP"


def test_art26_resume_reason_must_be_one_of_the_catalogue() -> None:
    reasons = rules().reasons
    check_resume_reason("bad_weather", reasons, in_session=True)
    with pytest.raises(InvalidArgument) as bad:
        check_resume_reason("lunch", reasons, in_session=True)
    assert bad.value.field == "metadata.resume_reason"
    with pytest.raises(InvalidArgument):
        check_resume_reason("bad_weather", reasons, in_session=False)


def test_art25_a_session_names_time_place_purpose_and_officers() -> None:
    s = new_session(command(), tenant="jiangan", created_by="u1", now=minutes(120))
    assert s.name == f"cases/{CASE}/sessions/{s.id}"
    assert [o.certificate_number for o in s.officers] == ["42010001", "42010002"]
    labels = s.labels()
    assert labels["session_purpose"] == "现场检查工资支付"
    assert labels["session_officers"] == "李四(42010001);王五(42010002)"
    for bad, field in [
        ({"departure": minutes(-1)}, "session.departure_time"),
        ({"purpose": ""}, "session.purpose"),
        ({"officers": (Officer("李四", ""),)}, "session.officers[0].certificate_number"),
        ({"arrival": None}, "session.arrival_time"),
    ]:
        with pytest.raises(InvalidArgument) as refused:
            new_session(command(**bad), tenant="jiangan", created_by="u1", now=minutes(120))
        assert refused.value.field == field


def test_art25_a_segment_of_another_cases_session_is_refused() -> None:
    s = new_session(command(), tenant="jiangan", created_by="u1", now=minutes(120))
    check_segment(s, CASE, minutes(0), minutes(10))
    with pytest.raises(InvalidArgument) as other:
        check_segment(s, "another", minutes(0), minutes(10))
    assert other.value.reason == "SESSION_OF_OTHER_CASE"
    with pytest.raises(InvalidArgument) as outside:
        check_segment(s, CASE, minutes(70), minutes(80))
    assert outside.value.reason == "SEGMENT_OUTSIDE_SESSION"


def test_art41_an_image_without_its_note_is_refused_field_by_field() -> None:
    fields = rules().note_fields
    full = ImageNote(minutes(0), "江岸区", "微信通知整改", "李四", "劳动保障监察员 42010001")
    check_note("image", full, fields)
    check_note("video", None, fields)
    with pytest.raises(InvalidArgument) as none:
        check_note("image", None, fields)
    assert none.value.field == "metadata.note.time"
    with pytest.raises(InvalidArgument) as partial:
        check_note("image", ImageNote(minutes(0), "江岸区", "通知", "李四", ""), fields)
    assert partial.value.field == "metadata.note.recorder_identity"
    assert partial.value.article == "seed Art 41"


def test_art23_a_session_without_footage_or_exemption_is_missing_footage() -> None:
    s = new_session(command(), tenant="jiangan", created_by="u1", now=minutes(120))
    assert missing_footage([s]) == [s.name]
    s.exempt_reason = "涉及国家秘密"
    assert missing_footage([s]) == []
    s.exempt_reason, s.segments = "", 1
    assert missing_footage([s]) == []
