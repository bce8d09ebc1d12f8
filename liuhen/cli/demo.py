"""The demo scenario: one case from the first phone call to the service of a
rectification order, crossing two districts (江岸 jiangan handles, 洪山 hongshan assists).
"""

from __future__ import annotations

import hashlib
import json
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import jwt

from liuhen import verify
from liuhen.cases.v1 import cases_pb2 as cpb
from liuhen.cases.v1 import cases_pb2_grpc
from liuhen.cli import bundle
from liuhen.cli.tokens import officer_token
from liuhen.enforcement.v1 import enforcement_pb2 as epb
from liuhen.enforcement.v1 import enforcement_pb2_grpc
from liuhen.intake.v1 import intake_pb2 as ipb
from liuhen.intake.v1 import intake_pb2_grpc
from liuhen.media.v1 import media_pb2 as mpb
from liuhen.media.v1 import media_pb2_grpc
from liuhen.paging import case_deadlines, case_documents
from liuhen.platform.config import Settings
from liuhen.platform.db import utcnow
from liuhen.platform.enums import key_of
from liuhen.platform.polling import wait_for
from liuhen.platform.timestamps import timestamp
from liuhen.routing.v1 import routing_pb2 as rpb
from liuhen.routing.v1 import routing_pb2_grpc

STUBS: dict[str, Callable[[grpc.Channel], Any]] = {
    "intake": intake_pb2_grpc.IntakeServiceStub,
    "cases": cases_pb2_grpc.CasesServiceStub,
    "media": media_pb2_grpc.MediaServiceStub,
    "routing": routing_pb2_grpc.RoutingServiceStub,
    "enforcement": enforcement_pb2_grpc.EnforcementServiceStub,
}
HOME, PEER = "jiangan", "hongshan"


def rid() -> str:
    return str(uuid.uuid4())


@dataclass
class Officer:
    """Calls the site's services as one officer."""

    settings: Settings
    tenant: str
    username: str
    channels: dict[str, grpc.Channel] = field(default_factory=dict)

    def __post_init__(self) -> None:
        token = officer_token(self.settings, self.tenant, self.username)
        self.metadata = [("authorization", f"Bearer {token}")]
        # The officer's user id is the token's subject (Keycloak's, or the local issuer's).
        self.user_id = str(jwt.decode(token, options={"verify_signature": False})["sub"])

    def __call__(self, service: str, method: str, request: Any) -> Any:
        if service not in self.channels:
            self.channels[service] = grpc.insecure_channel(self.settings.address(service))
        return getattr(STUBS[service](self.channels[service]), method)(
            request, metadata=self.metadata, timeout=30
        )


def footage(size: int, chunk: int = 64 * 1024) -> Iterator[bytes]:
    """Deterministic stand-in for a body-camera recording, produced chunk by chunk."""
    block = hashlib.sha256(b"liuhen demo footage").digest() * (chunk // 32)
    for offset in range(0, size, chunk):
        yield block[: min(chunk, size - offset)]


def _resumed_segment(
    handler: Officer, case: str, session: mpb.Session, start: datetime
) -> mpb.Session:
    """The camera stopped at 50 minutes (battery) and a second one resumed at 53: the
    resuming segment records the reason aloud, which explains the gap (Art 26)."""
    meta = mpb.RecordingMetadata(
        request_id=rid(),
        case=case,
        session=session.name,
        kind="video",
        device="执法记录仪 JA-08",
        place=session.place,
        start_time=timestamp(start + timedelta(minutes=53)),
        end_time=timestamp(start + timedelta(minutes=60)),
        content_type="video/mp4",
        confidentiality="normal",
        description="更换执法记录仪后继续记录（原设备电量不足）",
        resume_reason="battery_exhausted",
    )
    stream = iter(
        [
            mpb.UploadRecordingRequest(metadata=meta),
            *(mpb.UploadRecordingRequest(chunk=c) for c in footage(256 * 1024)),
        ]
    )
    handler("media", "UploadRecording", stream)
    resumed: mpb.Session = handler(
        "media", "GetSession", mpb.GetSessionRequest(name=session.name)
    ).session
    return resumed


def _playback_and_copy(
    settings: Settings, recording: mpb.Recording, step: Callable[[str], None]
) -> dict[str, Any]:
    """A reviewer plays a stretch of the recording back (Art 44), and the party's copy,
    approved by the review department and the head, is made with its manifest (Art 46)."""
    handler1, reviewer1, head1 = (
        Officer(settings, HOME, name) for name in ("handler1", "reviewer1", "head1")
    )
    played = sum(
        len(part.chunk)
        for part in reviewer1(
            "media",
            "ReadRecording",
            mpb.ReadRecordingRequest(
                request_id=rid(),
                name=recording.name,
                offset=1024 * 1024,
                length=256 * 1024,
                reason="审理证据",
            ),
        )
    )
    step(f"reviewer played back {played} bytes from 1 MiB on, registered (Art 44)")
    request = handler1(
        "media",
        "CreateRecordingAccessRequest",
        mpb.CreateRecordingAccessRequestRequest(
            request_id=rid(),
            recording=recording.name,
            kind="copy",
            requester_kind="party",
            party_name=recording.labels.party,
            copier=handler1.user_id,
            copier_name="承办人1",
            reason="当事人申请复制现场执法录像",
        ),
    ).access_request
    for officer in (reviewer1, head1):
        officer(
            "media",
            "ApproveRecordingAccessRequest",
            mpb.ApproveRecordingAccessRequestRequest(request_id=rid(), name=request.name),
        )
    copy = handler1(
        "media",
        "CreateRecordingCopy",
        mpb.CreateRecordingCopyRequest(request_id=rid(), access_request=request.name),
    ).copy
    step(
        "party's copy approved by the review department and the head (Art 44, 46): "
        f"manifest SHA-256 {copy.manifest.sha256}"
    )
    return {
        "played_bytes": played,
        "access_request": request.name,
        "copy": copy.name,
        "manifest_sha256": copy.manifest.sha256,
        "manifest_size_bytes": copy.manifest.size_bytes,
    }


def run(settings: Settings, say: Callable[[str], None] = print) -> dict[str, Any]:
    intake1, head1 = Officer(settings, HOME, "intake1"), Officer(settings, HOME, "head1")
    handler1 = Officer(settings, HOME, "handler1")
    peer_handler = Officer(settings, PEER, "handler1")
    timeline: list[str] = []

    def step(text: str) -> None:
        timeline.append(text)
        say(f"  ✓ {text}")

    say(f"Liuhen demo: a complaint at {HOME} (江岸), assistance from {PEER} (洪山)")
    intake = intake1(
        "intake",
        "RegisterComplaint",
        ipb.RegisterComplaintRequest(
            request_id=rid(),
            source=ipb.SOURCE_PHONE,
            kind=ipb.INTAKE_KIND_COMPLAINT,
            complainant=ipb.Person(name="李四", gender="男", contact="13800000000"),
            employer=ipb.Employer(name="武汉某建筑劳务有限公司", address="江岸区解放大道1号"),
            violation="拖欠12名农民工2026年9月至10月工资共计18万元",
        ),
    ).intake
    step(
        f"complaint registered by phone (Art 8–9): {intake.name}; 立案审批表 due "
        f"{intake.filing_due_on} (Art 11)"
    )
    material = intake1(
        "intake",
        "RecordMaterial",
        ipb.RecordMaterialRequest(
            request_id=rid(),
            intake=intake.name,
            submitted_by="complainant",
            description="工资欠条复印件",
            is_copy=True,
            checked_against_original=True,
            pages=2,
        ),
    ).material
    step(f"materials stamped: {' / '.join(material.stamps)} (Art 9)")
    intake1(
        "intake",
        "DraftFilingApproval",
        ipb.DraftFilingApprovalRequest(
            request_id=rid(),
            intake=intake.name,
            within_jurisdiction=True,
            summary="涉嫌拖欠劳动报酬，属本机构管辖",
        ),
    )
    intake = head1(
        "intake",
        "ApproveFiling",
        ipb.ApproveFilingRequest(request_id=rid(), intake=intake.name, comment="同意立案"),
    ).intake
    step(f"filing approved by the head: case number {intake.case_number}")

    case = intake1(
        "cases", "OpenCase", cpb.OpenCaseRequest(request_id=rid(), intake=intake.name)
    ).case
    reviewer1 = Officer(settings, HOME, "reviewer1")
    head1(
        "cases",
        "AssignHandler",
        cpb.AssignHandlerRequest(
            request_id=rid(),
            case=case.name,
            handler=handler1.user_id,
            handler_name="承办人1",
            reviewer=reviewer1.user_id,
        ),
    )
    step("case opened and assigned: handler 承办人1, reviewer 审理员1 (Art 6, 15)")

    now = utcnow()
    start = now - timedelta(hours=2)
    handler1(
        "cases",
        "RecordInterview",
        cpb.RecordInterviewRequest(
            request_id=rid(),
            case=case.name,
            certificates_shown=True,
            officers=[
                cpb.Officer(
                    name="承办人1", unit="江岸区劳动保障监察大队", certificate_no="JA-HA-0001"
                ),
                cpb.Officer(
                    name="王五", unit="江岸区劳动保障监察大队", certificate_no="JA-HA-0007"
                ),
            ],
            start_time=timestamp(start),
            end_time=timestamp(start + timedelta(minutes=50)),
            place="武汉某建筑劳务有限公司办公室",
            interviewee="公司法定代表人",
            content="承认拖欠工资，称资金周转困难",
        ),
    )
    step("interview record with officers, certificates, time and place (Art 16)")

    session = handler1(
        "media",
        "CreateSession",
        mpb.CreateSessionRequest(
            request_id=rid(),
            parent=case.name,
            session=mpb.Session(
                arrival_time=timestamp(start),
                departure_time=timestamp(start + timedelta(minutes=60)),
                place="武汉某建筑劳务有限公司办公室",
                purpose="现场调查拖欠工资情况",
                officers=[
                    mpb.Officer(name="承办人1", certificate_number="42010001"),
                    mpb.Officer(name="承办人2", certificate_number="42010002"),
                ],
                parties_present=["公司法定代表人"],
            ),
        ),
    ).session
    step(f"on-site session {session.name}: footage due {session.storage_due_on} (Art 25, 41)")

    size = 3 * 1024 * 1024 + 12345
    meta = mpb.RecordingMetadata(
        request_id=rid(),
        case=case.name,
        session=session.name,
        kind="video",
        device="执法记录仪 JA-07",
        place="武汉某建筑劳务有限公司办公室",
        start_time=timestamp(start),
        end_time=timestamp(start + timedelta(minutes=50)),
        content_type="video/mp4",
        confidentiality="normal",
        description="现场调查询问全程录像",
    )
    stream = iter(
        [
            mpb.UploadRecordingRequest(metadata=meta),
            *(mpb.UploadRecordingRequest(chunk=c) for c in footage(size)),
        ]
    )
    recording = handler1("media", "UploadRecording", stream).recording
    step(
        f"recording stored: {recording.size_bytes} bytes, SHA-256 {recording.sha256[:16]}…, "
        f"labels {recording.labels.case_number} / {recording.labels.party} / "
        f"{recording.labels.handler} (Art 41)"
    )

    check = handler1(
        "media",
        "VerifyOffsiteCopy",
        mpb.VerifyOffsiteCopyRequest(request_id=rid(), name=recording.name, wait_seconds=60),
    ).check
    step(
        f"off-site copy checked by hash: {key_of(check, prefix='OFFSITE_STATE_')} (Art 41 异地备份)"
    )
    session = _resumed_segment(handler1, case.name, session, start)
    step(
        f"camera battery ran out at 50 min; the resuming segment says why: "
        f"{len(session.interruptions)} interruption, {key_of(session.interruptions[0])} "
        f"({session.interruptions[0].reason}); session flagged: {session.unexplained_gap} "
        "(Art 24(3), 26)"
    )
    recording_copy = _playback_and_copy(settings, recording, step)

    request_doc = _effective(
        handler1,
        head1,
        case.name,
        "assistance_request",
        {"matters": "核实该公司在洪山区项目工地的工资发放情况", "to": "洪山区劳动保障监察大队"},
    )
    sent = handler1(
        "cases",
        "SendAssistanceRequest",
        cpb.SendAssistanceRequestRequest(
            request_id=rid(), document=request_doc.name, recipient=PEER
        ),
    )
    step(f"委托协查函 approved by the head and sent to {PEER} (Art 21): message {sent.message_id}")

    inbound = wait_for(
        timeout_s=60.0,
        what="the request in hongshan's inbox",
        probe=lambda: next(
            (
                m
                for m in peer_handler(
                    "routing",
                    "ListMessages",
                    rpb.ListMessagesRequest(
                        direction="inbox", type="assistance_request", order_by="time desc"
                    ),
                ).messages
                if m.envelope.message_id == sent.message_id
            ),
            None,
        ),
    )
    reply = peer_handler(
        "routing",
        "ReplyToAssistanceRequest",
        rpb.ReplyToAssistanceRequestRequest(
            request_id=rid(),
            message=inbound.name,
            handler_name="洪山承办人1",
            findings="经核实，该公司洪山项目同期拖欠工资情况属实",
        ),
    )
    step(
        f"{PEER} received it and answered with a 协查回函: message "
        f"{reply.message.envelope.message_id}"
    )
    reply_doc = wait_for(
        timeout_s=60.0,
        what="the reply on the case",
        probe=lambda: next(
            (
                d
                for d in case_documents(handler1, handler1.tenant, case.name)
                if d.type == "assistance_reply"
            ),
            None,
        ),
    )
    step(f"协查回函 arrived on the case from {reply_doc.from_site}")
    entrusted = _entrusted_service(handler1, head1, peer_handler, case.name)
    step(
        f"询问通知书 served by {PEER} on jiangan's behalf (委托送达, Art 37(5)); its 送达回执 "
        f"returned onto the case, date of service {entrusted['service_date']}"
    )

    _effective(
        handler1,
        head1,
        case.name,
        "investigation_final_report",
        {"findings": "拖欠工资属实", "proposal": "责令限期改正"},
    )
    order = _effective(
        handler1,
        head1,
        case.name,
        "rectification_order",
        RECTIFICATION,
    )
    served = handler1(
        "enforcement",
        "ServeDocument",
        epb.ServeDocumentRequest(
            request_id=rid(),
            document=order.name,
            method=epb.SERVICE_METHOD_DIRECT,
            recipient="武汉某建筑劳务有限公司",
            signed_by="公司法定代表人",
        ),
    ).record
    period = next(d for d in served.deadlines if d.rule == "rectification_period")
    step(
        f"限期改正指令书 served directly, 送达回执 signed (Art 37); date of service "
        f"{served.service_date}; rectification due {period.due_on} (Art 28)"
    )

    transfer = _transfer(intake1, head1, Officer(settings, PEER, "intake1"))
    step(
        f"another complaint is {PEER}'s: 移送管辖单 approved and sent (Art 13, 15); "
        f"registered there as {transfer['received_as']}"
    )

    full = handler1("cases", "GetCase", cpb.GetCaseRequest(name=case.name)).case
    out = Path(tempfile.mkdtemp(prefix="liuhen-bundle-")) / "court-bundle.zip"
    bundle_path = bundle.witnessed_bundle(head1, handler1, case.name, out, tenant=handler1.tenant)
    bundle_line = verify.verify_bundle(bundle_path)  # offline: the zip and the keys in it
    step(f"court bundle written to {bundle_path} and checked offline: {bundle_line}")
    verified = handler1("cases", "VerifyLedger", cpb.VerifyLedgerRequest(case=case.name))
    open_deadlines = [
        {"rule": d.rule, "due_on": d.due_on, "provisional": d.provisional, "state": key_of(d)}
        for d in case_deadlines(handler1, case.name, filter="open = true")
    ]
    from liuhen.cli import prints

    say("PDFs (docs/printing.md):")
    pdfs = prints.write_demo_pdfs(handler1, order.name, case.name, settings.home / "pdf", say)
    say("")
    say(f"Case {full.case_number} ({full.name})")
    say("Open deadlines:")
    for d in open_deadlines:
        say(f"  {d['rule']:<28} due {d['due_on']}{' (provisional)' if d['provisional'] else ''}")
    say(
        f"Ledger: {verified.entries} entries, chain {'verified' if verified.ok else 'BROKEN'} "
        f"(head {verified.head_hash[:16]}…)"
    )
    return {
        "tenants": [HOME, PEER],
        "case": full.name,
        "case_number": full.case_number,
        "timeline": timeline,
        "assistance": {
            "request_message_id": sent.message_id,
            "recipient": PEER,
            "reply_message_id": reply.message.envelope.message_id,
            "reply_document": reply_doc.name,
            "reply_from": reply_doc.from_site,
        },
        "recording": {
            "name": recording.name,
            "sha256": recording.sha256,
            "size_bytes": recording.size_bytes,
            "late": recording.late,
            "offsite": key_of(check, prefix="OFFSITE_STATE_"),
        },
        "session": {
            "name": session.name,
            "segments": list(session.segments),
            "interruptions": [
                {"state": key_of(i), "how": i.how, "reason": i.reason}
                for i in session.interruptions
            ],
            "unexplained_gap": session.unexplained_gap,
        },
        "recording_copy": recording_copy,
        "rectification_order": {
            "document": order.name,
            "served": served.name,
            "method": "direct",
            "service_date": served.service_date,
            "due_on": period.due_on,
        },
        "entrusted_service": entrusted,
        "open_deadlines": open_deadlines,
        "transfer": transfer,
        "pdfs": pdfs,
        "ledger_entries": verified.entries,
        "ledger_verified": verified.ok,
        "ledger_checkpoint_size": verified.checkpoint_size,
        "bundle": str(bundle_path),
        "bundle_verified": bundle_line.startswith("verified"),
    }


def _entrusted_service(handler: Officer, head: Officer, peer: Officer, case: str) -> dict[str, str]:
    """The employer's office sits in the peer district: the 询问通知书 is entrusted to it
    (委托送达函 approved by the head), served there and its 送达回执 comes back (Art 37(5))."""
    notice = _effective(
        handler, head, case, "inquiry_notice",
        {"employer": RECTIFICATION["employer"], "matters": "工资支付情况",
         "time": "2026-12-20T09:00:00+08:00", "place": "江岸区劳动保障监察大队"},
    )  # fmt: skip
    letter = _effective(
        handler, head, case, "service_entrustment",
        {"document": notice.name, "entrusted_site": PEER, "recipient": "武汉某建筑劳务有限公司",
         "address": "洪山区珞喻路1号（项目部）"},
    )  # fmt: skip
    entrustment = handler(
        "enforcement",
        "EntrustService",
        epb.EntrustServiceRequest(request_id=rid(), letter=letter.name),
    ).entrustment
    message_id = entrustment.message.removeprefix("messages/")
    inbound = wait_for(
        timeout_s=60.0,
        what=f"the entrustment in {PEER}'s inbox",
        probe=lambda: next(
            (m for m in peer("routing", "ListMessages", rpb.ListMessagesRequest(
                direction="inbox", type="service_entrustment", order_by="time desc")).messages
             if m.envelope.message_id == message_id),
            None,
        ),
    )  # fmt: skip
    peer(
        "enforcement",
        "ServeEntrustedDocument",
        epb.ServeEntrustedDocumentRequest(
            request_id=rid(),
            message=inbound.name,
            method=epb.SERVICE_METHOD_DIRECT,
            recipient="武汉某建筑劳务有限公司",
            signed_by="项目经理赵六",
            note="受江岸区委托，于洪山区项目部直接送达，项目经理签收",
        ),
    )
    served = wait_for(
        timeout_s=60.0,
        what="the entrusted service's receipt on the case",
        probe=lambda: next(
            (e for e in handler("enforcement", "ListEntrustments",
                                epb.ListEntrustmentsRequest(case=case)).entrustments
             if e.name == entrustment.name and e.state == epb.Entrustment.SERVED),
            None,
        ),
    )  # fmt: skip
    return {
        "document": notice.name,
        "entrusted_site": PEER,
        "message_id": message_id,
        "service_record": served.service_record,
        "service_date": served.service_date,
    }


def _transfer(desk: Officer, head: Officer, peer_desk: Officer) -> dict[str, str]:
    """A complaint that is not this organisation's: found so at filing, transferred with
    a 移送管辖单 the head approves, and registered by the district with jurisdiction."""
    other = desk(
        "intake",
        "RegisterComplaint",
        ipb.RegisterComplaintRequest(
            request_id=rid(),
            source=ipb.SOURCE_VISIT,
            kind=ipb.INTAKE_KIND_CONSTRUCTION_COMPLAINT,
            complainant=ipb.Person(name="王六", contact="13900000000"),
            employer=ipb.Employer(name="洪山某建设工程公司", address="洪山区珞喻路1号"),
            violation="拖欠农民工工资",
        ),
    ).intake
    desk(
        "intake",
        "DraftFilingApproval",
        ipb.DraftFilingApprovalRequest(
            request_id=rid(),
            intake=other.name,
            within_jurisdiction=False,
            summary="用工地及工资发放地均在洪山区，不属本机构管辖",
        ),
    )
    head("intake", "ApproveFiling", ipb.ApproveFilingRequest(request_id=rid(), intake=other.name))
    drafted = desk(
        "intake",
        "DraftIntakeDocument",
        ipb.DraftIntakeDocumentRequest(
            request_id=rid(),
            intake=other.name,
            type="jurisdiction_transfer_slip",
            recipient=PEER,
            content_json=json.dumps({"grounds": "用工地在洪山区"}, ensure_ascii=False),
        ),
    ).document
    desk(
        "intake",
        "SubmitIntakeDocument",
        ipb.SubmitIntakeDocumentRequest(request_id=rid(), document=drafted.name),
    )
    slip = head(
        "intake",
        "ApproveIntakeDocument",
        ipb.ApproveIntakeDocumentRequest(request_id=rid(), document=drafted.name),
    ).document
    received = wait_for(
        timeout_s=60.0,
        what=f"the transfer registered at {PEER}",
        probe=lambda: next(
            (
                m.detail.removeprefix("registered as ")
                for m in peer_desk(
                    "routing",
                    "ListMessages",
                    rpb.ListMessagesRequest(direction="inbox", order_by="time desc"),
                ).messages
                if m.envelope.message_id == slip.message_id and m.state == rpb.Message.APPLIED
            ),
            None,
        ),
    )
    return {
        "intake": other.name,
        "slip": slip.name,
        "message_id": slip.message_id,
        "recipient": PEER,
        "received_as": received,
    }


# The served 限期改正指令书 (Art 28), with the fields its form has (documents.yaml): the
# employer with its unified social credit code, the violations with their legal basis.
RECTIFICATION: dict[str, Any] = {
    "employer": {
        "name": "武汉某建筑劳务有限公司",
        "uscc": "91420102MA4KLY3N27",
        "address": "武汉市江岸区解放大道1号",
        "legal_representative": "王五",
    },
    "violations": [
        {
            "fact": "拖欠12名农民工2026年8月至10月工资共计186000元",
            "basis": "《保障农民工工资支付条例》第十五条；《劳动保障监察条例》第二十六条",
        }
    ],
    "period_days": 10,
    "order": "于期限内支付拖欠的全部工资",
}


def _effective(
    handler: Officer, head: Officer, case: str, type_code: str, content: dict[str, Any]
) -> cpb.Document:
    """Draft, submit and (if its catalogue chain says so) approve a handler's document."""
    doc = handler(
        "cases",
        "DraftDocument",
        cpb.DraftDocumentRequest(
            request_id=rid(),
            case=case,
            type=type_code,
            content_json=json.dumps(content, ensure_ascii=False),
        ),
    ).document
    doc = handler(
        "cases", "SubmitDocument", cpb.SubmitDocumentRequest(request_id=rid(), document=doc.name)
    ).document
    while doc.state != cpb.Document.EFFECTIVE:
        doc = head(
            "cases",
            "ApproveDocument",
            cpb.ApproveDocumentRequest(request_id=rid(), document=doc.name, comment="同意"),
        ).document
    return doc


def summary_line(result: dict[str, Any]) -> str:
    return json.dumps(result, ensure_ascii=False, sort_keys=True)
