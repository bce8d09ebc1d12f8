"""The recording chapter through gRPC on the embedded default: on-site sessions and their
interruptions (seed Art 24(3), 25, 26), phone calls and notices (Art 24(1)(2), 41), the
2 days of storage (Art 41), mandatory recording at archiving (Art 23) and the reception
window (Art 7)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from liuhen.cases.v1 import cases_pb2 as cpb
from liuhen.common.v1 import common_pb2
from liuhen.intake.v1 import intake_pb2 as ipb
from liuhen.media.v1 import media_pb2 as pb
from liuhen.paging import case_ledger
from liuhen.platform.ports import ObjectLocked
from services.media.model import retain_until
from tests.service.test_cases_steps import draft, effective, submit, through_chain
from tests.service.test_media import KIB, TENANT, footage, open_case, requests, upload
from tests.support import Client, Site, rid, status_of


def ts(value: datetime) -> Timestamp:
    out = Timestamp()
    out.FromDatetime(value)
    return out


def media(site: Site, user: str = "handler1") -> Client:
    return site.client("media", TENANT, user)


def new_session(site: Site, case: str, arrival: datetime, minutes: int = 60) -> pb.Session:
    reply = media(site).CreateSession(
        pb.CreateSessionRequest(
            request_id=rid(),
            parent=case,
            session=pb.Session(
                arrival_time=ts(arrival),
                departure_time=ts(arrival + timedelta(minutes=minutes)),
                place="江岸区某工地",
                purpose="现场检查工资支付情况",
                officers=[
                    pb.Officer(name="李四", certificate_number="42010001"),
                    pb.Officer(name="王五", certificate_number="42010002"),
                ],
                parties_present=["某建筑劳务公司 项目经理 赵六"],
            ),
        )
    )
    session: pb.Session = reply.session
    return session


def segment_meta(
    case: str, session: str, start: datetime, end: datetime, reason: str = ""
) -> pb.RecordingMetadata:
    return pb.RecordingMetadata(
        request_id=rid(),
        case=case,
        kind="video",
        device="执法记录仪 JA-07",
        place="江岸区某工地",
        start_time=ts(start),
        end_time=ts(end),
        content_type="video/mp4",
        session=session,
        resume_reason=reason,
    )


def segment(
    site: Site, case: str, session: str, start: datetime, end: datetime, reason: str = ""
) -> pb.Recording:
    meta = segment_meta(case, session, start, end, reason)
    return upload(media(site), meta, footage(64 * KIB, seed=meta.request_id.encode()))


def get(site: Site, name: str) -> pb.Session:
    session: pb.Session = media(site).GetSession(pb.GetSessionRequest(name=name)).session
    return session


def flagged(site: Site, case: str) -> list[str]:
    listed = media(site).ListSessions(
        pb.ListSessionsRequest(parent=case, filter="unexplained_gaps = true")
    )
    return [s.name for s in listed.sessions]


def ledger_actions(site: Site, case: str) -> list[str]:
    got = case_ledger(site.client("cases", TENANT, "handler1"), case)
    return [e.action for e in got if e.action.startswith("session.")]


def refused(call: object, request: object) -> tuple[grpc.StatusCode, str, dict[str, str]]:
    with pytest.raises(grpc.RpcError) as exc:
        call(request)  # type: ignore[operator]
    return status_of(exc.value)


def test_art26_a_gap_is_flagged_and_the_resuming_segments_spoken_reason_clears_it(
    site: Site,
) -> None:
    case = open_case(site)
    t0 = datetime.now(UTC) - timedelta(hours=3)
    s = new_session(site, case.name, t0)
    assert (s.place, s.purpose, s.officers[1].certificate_number) == (
        "江岸区某工地", "现场检查工资支付情况", "42010002",
    )  # fmt: skip
    assert s.footage_missing and not s.unexplained_gap

    first = segment(site, case.name, s.name, t0, t0 + timedelta(minutes=20))
    assert first.session == s.name
    after_first = get(site, s.name)
    assert after_first.unexplained_gap  # recording stopped 40 minutes before departure
    assert flagged(site, case.name) == [s.name]

    resumed = segment(
        site, case.name, s.name, t0 + timedelta(minutes=25), t0 + timedelta(minutes=60),
        "battery_exhausted",
    )  # fmt: skip
    assert resumed.resume_reason == "battery_exhausted"
    after = get(site, s.name)
    assert not after.unexplained_gap and not after.footage_missing
    assert list(after.segments) == [first.name, resumed.name]
    (gap,) = after.interruptions
    assert (gap.after, gap.before, gap.state, gap.how, gap.reason) == (
        first.name, resumed.name, pb.Interruption.EXPLAINED, "spoken", "battery_exhausted",
    )  # fmt: skip
    assert flagged(site, case.name) == []
    assert ledger_actions(site, case.name) == [
        "session.recorded",
        "session.interruption_flagged",
        "session.interruption_explained",
    ]
    verified = site.client("cases", TENANT, "handler1").VerifyLedger(
        cpb.VerifyLedgerRequest(case=case.name)
    )
    assert verified.ok, verified.detail


def test_art26_where_recording_could_not_go_on_an_approved_written_statement_explains_it(
    site: Site,
) -> None:
    case = open_case(site)
    t0 = datetime.now(UTC) - timedelta(hours=3)
    s = new_session(site, case.name, t0)
    first = segment(site, case.name, s.name, t0, t0 + timedelta(minutes=30))
    assert get(site, s.name).unexplained_gap

    content = {
        "interrupted_at": (t0 + timedelta(minutes=30)).isoformat(),
        "reason": "equipment_damage",
        "circumstances": "执法记录仪跌落损坏，无法继续录像",
        "reported_to": "负责人甲",
        "session": s.name,
    }
    drafted = submit(site, draft(site, case.name, "written_statement", content))
    assert list(drafted.approval_chain) == ["head"]
    explain = pb.ExplainInterruptionRequest(
        name=s.name,
        after=first.name,
        reported_to="负责人甲",
        reported_time=ts(t0 + timedelta(minutes=31)),
        document=drafted.name,
    )
    explain.request_id = rid()
    code, reason, meta = refused(media(site).ExplainInterruption, explain)
    assert (code, reason, meta["article"]) == (
        grpc.StatusCode.FAILED_PRECONDITION, "STATEMENT_NOT_APPROVED", "seed Art 26",
    )  # fmt: skip

    approved = through_chain(site, drafted)
    assert approved.state == cpb.Document.EFFECTIVE
    explain.request_id = rid()
    code, reason, _ = refused(media(site, "handler2").ExplainInterruption, explain)
    assert (code, reason) == (grpc.StatusCode.PERMISSION_DENIED, "NOT_CASE_HANDLER")
    explain.request_id = rid()
    after = media(site).ExplainInterruption(explain).session
    assert not after.unexplained_gap
    (gap,) = after.interruptions
    assert (gap.before, gap.how, gap.document, gap.reported_to) == (
        "", "written", drafted.name, "负责人甲",
    )  # fmt: skip
    assert ledger_actions(site, case.name)[-2:] == [
        "session.interruption_flagged",
        "session.interruption_explained",
    ]


def test_art26_a_segment_of_another_cases_session_and_an_explanation_without_a_gap_are_refused(
    site: Site,
) -> None:
    case, other = open_case(site), open_case(site)
    t0 = datetime.now(UTC) - timedelta(hours=3)
    s = new_session(site, case.name, t0, minutes=30)
    meta = segment_meta(other.name, s.name, t0, t0 + timedelta(minutes=30))
    code, reason, info = refused(media(site).UploadRecording, requests(meta, [b"x" * 1024]))
    assert (code, reason, info["field"]) == (
        grpc.StatusCode.INVALID_ARGUMENT, "SESSION_OF_OTHER_CASE", "metadata.session",
    )  # fmt: skip
    assert (
        list(media(site).ListRecordings(pb.ListRecordingsRequest(case=other.name)).recordings) == []
    )

    segment(site, case.name, s.name, t0, t0 + timedelta(minutes=30))  # the whole activity
    statement = effective(site, case.name, "written_statement", {"reported_to": "负责人甲"})
    code, reason, info = refused(
        media(site).ExplainInterruption,
        pb.ExplainInterruptionRequest(
            request_id=rid(),
            name=s.name,
            reported_to="负责人甲",
            reported_time=ts(t0),
            document=statement.name,
        ),
    )
    assert (code, reason, info["article"]) == (
        grpc.StatusCode.FAILED_PRECONDITION, "NO_GAP", "seed Art 26",
    )  # fmt: skip


def test_art24_a_phone_call_and_a_notice_screenshot_with_its_note_are_stored_like_footage(
    site: Site,
) -> None:
    case = open_case(site)
    now = datetime.now(UTC)
    call = pb.RecordingMetadata(
        request_id=rid(),
        case=case.name,
        kind="phone_call",
        device="办公电话录音",
        place="江岸区劳动保障监察大队",
        start_time=ts(now - timedelta(minutes=20)),
        end_time=ts(now - timedelta(minutes=10)),
        content_type="audio/mpeg",
    )
    assert upload(media(site), call, footage(64 * KIB)).kind == "phone_call"

    note = pb.ImageNote(
        time=ts(now - timedelta(minutes=5)),
        place="江岸区劳动保障监察大队",
        content="以微信通知某建筑劳务公司接受询问",
        recorder_name="承办人甲",
        recorder_identity="劳动保障监察员 执法证号42010001",
    )
    shot = pb.RecordingMetadata(
        request_id=rid(), case=case.name, kind="image", device="手机截屏",
        place="江岸区劳动保障监察大队", content_type="image/png", note=note,
    )  # fmt: skip
    image = upload(media(site), shot, [b"\x89PNG" + b"\0" * 2048])
    assert (image.kind, image.note) == ("image", note)
    assert image.end_time == note.time  # an image is made when its note says
    stored = site.running["media"].platform.objects.head(TENANT, image.object_key)
    assert stored.sha256 == image.sha256 and stored.retain_until is not None
    assert stored.metadata["note_recorder_identity"] == "劳动保障监察员 执法证号42010001"
    copy = site.client("media", TENANT, "reviewer1").VerifyOffsiteCopy(
        pb.VerifyOffsiteCopyRequest(request_id=rid(), name=image.name, wait_seconds=5)
    )
    assert copy.check.state == pb.OFFSITE_STATE_VERIFIED


def test_art41_an_image_without_its_note_is_refused_naming_the_missing_part(site: Site) -> None:
    case = open_case(site)
    now = datetime.now(UTC)
    for note, missing in [
        (None, "metadata.note.time"),
        (pb.ImageNote(time=ts(now), place="某地", content="短信通知", recorder_name="承办人甲"),
         "metadata.note.recorder_identity"),
    ]:  # fmt: skip
        meta = pb.RecordingMetadata(
            request_id=rid(), case=case.name, kind="image", device="手机", place="某地",
            start_time=ts(now), end_time=ts(now), content_type="image/jpeg",
        )  # fmt: skip
        if note is not None:
            meta.note.CopyFrom(note)
        with pytest.raises(grpc.RpcError) as exc:
            media(site).UploadRecording(requests(meta, [b"jpeg"]))
        code, reason, info = status_of(exc.value)
        assert (code, reason, info["field"], info["article"]) == (
            grpc.StatusCode.INVALID_ARGUMENT, "IMAGE_NOTE_REQUIRED", missing, "seed Art 41",
        )  # fmt: skip
        violations = error_details_pb2.BadRequest()
        assert any(d.Unpack(violations) for d in rpc_status.from_call(exc.value).details)  # type: ignore[arg-type]
        assert violations.field_violations[0].field == missing
    assert (
        list(media(site).ListRecordings(pb.ListRecordingsRequest(case=case.name)).recordings) == []
    )


def test_art41_a_session_opens_the_2_day_storage_deadline_and_its_footage_meets_it(
    site: Site,
) -> None:
    case = open_case(site)
    now = datetime.now(UTC)
    old = new_session(site, case.name, now - timedelta(days=4), minutes=30)
    assert (old.storage_state, old.stored_late) == (common_pb2.Deadline.OVERDUE, False)
    recent = new_session(site, case.name, now - timedelta(hours=2), minutes=30)
    assert recent.storage_state == common_pb2.Deadline.OPEN

    t_old = now - timedelta(days=4)
    late = segment(site, case.name, old.name, t_old, t_old + timedelta(minutes=30))
    t_new = now - timedelta(hours=2)
    on_time = segment(site, case.name, recent.name, t_new, t_new + timedelta(minutes=30))
    assert late.late and not on_time.late  # accepted, flagged
    assert (get(site, old.name).storage_state, get(site, old.name).stored_late) == (
        common_pb2.Deadline.MET,
        True,
    )
    assert (get(site, recent.name).storage_state, get(site, recent.name).stored_late) == (
        common_pb2.Deadline.MET, False,
    )  # fmt: skip
    for parent in (case.name, "cases/-"):
        listed = media(site).ListLateRecordings(pb.ListLateRecordingsRequest(parent=parent))
        assert [r.name for r in listed.recordings] == [late.name]


def test_art41_a_segment_carries_the_case_and_session_labels_on_its_object(site: Site) -> None:
    case = open_case(site)
    t0 = datetime.now(UTC) - timedelta(hours=2)
    s = new_session(site, case.name, t0, minutes=30)
    rec = segment(site, case.name, s.name, t0, t0 + timedelta(minutes=30))
    meta = site.running["media"].platform.objects.head(TENANT, rec.object_key).metadata
    assert (meta["case_number"], meta["party"], meta["handler"]) == (
        case.case_number, "某建筑劳务公司", "承办人甲",
    )  # fmt: skip
    assert (meta["session"], meta["session_purpose"], meta["session_place"]) == (
        s.name, "现场检查工资支付情况", "江岸区某工地",
    )  # fmt: skip
    assert meta["session_officers"] == "李四(42010001);王五(42010002)"
    assert meta["session_parties"] == "某建筑劳务公司 项目经理 赵六"
    assert meta["session_arrival"] == t0.isoformat()
    assert meta["session_departure"] == (t0 + timedelta(minutes=30)).isoformat()


def test_art23_a_mandatory_case_is_not_archived_while_a_session_has_no_footage(
    site: Site,
) -> None:
    case = open_case(site)
    site.client("cases", TENANT, "handler1").MarkCase(
        cpb.MarkCaseRequest(request_id=rid(), case=case.name, av_reasons=["obstruction"])
    )
    t0 = datetime.now(UTC) - timedelta(hours=2)
    s = new_session(site, case.name, t0, minutes=30)
    effective(site, case.name, "revocation_approval", {"reason": "不属于劳动保障监察事项"})
    archive = cpb.ArchiveCaseRequest(request_id=rid(), case=case.name)
    reviewer = site.client("cases", TENANT, "reviewer1")
    with pytest.raises(grpc.RpcError) as exc:
        reviewer.ArchiveCase(archive)
    code, reason, info = status_of(exc.value)
    assert (code, reason, info["article"]) == (
        grpc.StatusCode.FAILED_PRECONDITION, "SESSION_WITHOUT_FOOTAGE", "seed Art 23",
    )  # fmt: skip
    assert s.name in (exc.value.details() or "")

    code, reason, _ = refused(
        media(site).ExemptSession,
        pb.ExemptSessionRequest(request_id=rid(), name=s.name, reason="涉及国家秘密"),
    )
    assert code == grpc.StatusCode.PERMISSION_DENIED  # the head approves an exemption
    exempted = (
        media(site, "head1")
        .ExemptSession(
            pb.ExemptSessionRequest(request_id=rid(), name=s.name, reason="涉及国家秘密")
        )
        .session
    )
    assert exempted.exemption.approver == site.user_id(TENANT, "head1")
    assert not exempted.footage_missing
    archive.request_id = rid()
    assert reviewer.ArchiveCase(archive).case.state == cpb.Case.ARCHIVED
    assert "session.exempted" in ledger_actions(site, case.name)
    code, reason, info = refused(
        media(site, "head1").ExemptSession,
        pb.ExemptSessionRequest(request_id=rid(), name=s.name, reason="再次豁免"),
    )
    assert (code, reason, info["article"]) == (
        grpc.StatusCode.FAILED_PRECONDITION, "CASE_ARCHIVED", "seed Art 42",
    )  # fmt: skip


def test_art7_a_reception_recording_is_kept_locked_and_carried_into_the_case_once_filed(
    site: Site,
) -> None:
    desk = site.client("intake", TENANT, "intake1")
    registered = desk.RegisterComplaint(
        ipb.RegisterComplaintRequest(
            request_id=rid(),
            source=ipb.SOURCE_VISIT,
            kind=ipb.INTAKE_KIND_COMPLAINT,
            complainant=ipb.Person(name="张三", contact="13800000000"),
            employer=ipb.Employer(name="某建筑劳务公司", address="江岸区某路1号"),
            violation="拖欠工资三个月",
        )
    ).intake
    end = datetime.now(UTC) - timedelta(minutes=5)
    window = pb.RecordingMetadata(
        request_id=rid(), intake=registered.name, kind="video", device="受理窗口监控 01",
        place="江岸区劳动保障监察大队受理窗口", start_time=ts(end - timedelta(minutes=15)),
        end_time=ts(end), content_type="video/mp4",
    )  # fmt: skip
    code, _, _ = refused(media(site).UploadRecording, requests(window, [b"x" * 1024]))
    assert code == grpc.StatusCode.PERMISSION_DENIED  # the reception desk records it
    rec = upload(site.client("media", TENANT, "intake1"), window, footage(64 * KIB))
    assert rec.name.startswith(registered.name + "/recordings/")
    assert (rec.intake, rec.labels.party) == (registered.name, "某建筑劳务公司")
    stored = rec.stored_time.ToDatetime(tzinfo=UTC)
    assert rec.retain_until == retain_until(end, 30, stored=stored).date().isoformat()
    objects = site.running["media"].platform.objects
    with pytest.raises(ObjectLocked):
        objects.delete(TENANT, rec.object_key)
    got = media(site, "intake1").GetRecording(pb.GetRecordingRequest(name=rec.name)).recording
    assert got == rec

    desk.DraftFilingApproval(
        ipb.DraftFilingApprovalRequest(
            request_id=rid(), intake=registered.name, within_jurisdiction=True, summary="拖欠工资"
        )
    )
    site.client("intake", TENANT, "head1").ApproveFiling(
        ipb.ApproveFilingRequest(request_id=rid(), intake=registered.name)
    )
    case = (
        site.client("cases", TENANT, "head1")
        .OpenCase(cpb.OpenCaseRequest(request_id=rid(), intake=registered.name))
        .case
    )
    listed = media(site, "head1").ListRecordings(pb.ListRecordingsRequest(case=case.name))
    assert [r.name for r in listed.recordings] == [rec.name]
    file = site.client("cases", TENANT, "head1").GetCaseFile(cpb.GetCaseFileRequest(case=case.name))
    assert rec.name in [i.name for i in file.items]
