"""What the case file holds that other services keep (Art 41–42): the intake's
registration form, filing approval, documents and materials (intake service), the
service receipts (enforcement) and the recordings (media) — asked as the caller, outside
any transaction of ours, and turned into file items."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from liuhen.enforcement.v1 import enforcement_pb2, enforcement_pb2_grpc
from liuhen.intake.v1 import intake_pb2, intake_pb2_grpc
from liuhen.media.v1 import media_pb2, media_pb2_grpc
from liuhen.platform.bootstrap import Platform
from liuhen.platform.catalogue import document_type
from liuhen.platform.ledger import canonical, sha256_hex
from liuhen.platform.printing.forms import WUHAN
from liuhen.platform.server import current_principal
from liuhen.platform.service import call_sibling
from services.cases.casefile import FileItem, RecordingRef
from services.cases.convert import recording_ref

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
FORMS = {1: "complaint_form", 2: "construction_complaint_form", 3: "report_form"}
METHODS_ZH = {
    1: "直接送达",
    2: "留置送达",
    3: "邮寄送达",
    4: "传真送达",
    5: "电子邮件送达",
    6: "委托送达",
    7: "公告送达",
}


@dataclass
class Sources:
    recordings: list[RecordingRef] = field(default_factory=list)
    media: list[media_pb2.Recording] = field(default_factory=list)
    others: list[FileItem] = field(default_factory=list)
    sessions_without_footage: list[str] = field(default_factory=list)  # Art 23


def _time(msg: object, name: str) -> datetime:
    return getattr(msg, name).ToDatetime(tzinfo=UTC) if msg.HasField(name) else EPOCH  # type: ignore[attr-defined]


def _item(
    kind: str,
    name: str,
    type_code: str,
    when: datetime,
    content: Mapping[str, object],
    sha256: str = "",
) -> FileItem:
    text = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return FileItem(
        0,
        kind,
        name,
        type_code,
        document_type(type_code).zh,
        when,
        sha256 or sha256_hex(canonical(content)),
        stage=document_type(type_code).stage,
        content_json=text,
    )


def intake_items(i: intake_pb2.Intake, sources: Sources) -> None:
    received = _time(i, "received_time")
    person = "匿名" if i.complainant.anonymous else i.complainant.name
    # The registration form's fields by its schema (documents.yaml), so it prints labelled.
    who = "reporter" if FORMS.get(i.kind) == "report_form" else "complainant"
    form = {
        who: {"name": person, "contact": i.complainant.contact},
        "employer": {"name": i.employer.name, "address": i.employer.address},
        "violation": i.violation,
        "received_on": received.astimezone(WUHAN).date().isoformat(),
    }
    sources.others.append(
        _item(
            "document",
            f"{i.name}/registration",
            FORMS.get(i.kind, "complaint_form"),
            received,
            form,
        )
    )
    if i.filing_approved_by:
        # The fields its print and its ledger entries hash (services/intake/prints.py).
        approval = {"summary": i.filing_summary, "within_jurisdiction": i.within_jurisdiction}
        sources.others.append(
            _item("document", f"{i.name}/filing_approval", "filing_approval", received, approval)
        )
    for d in i.documents:
        if d.state == intake_pb2.IntakeDocument.EFFECTIVE:
            sources.others.append(
                _item(
                    "document",
                    d.name,
                    d.type,
                    _time(d, "effective_time"),
                    json.loads(d.content_json or "{}"),
                    d.content_sha256,
                )
            )
    for m in i.materials:
        _material(sources, m.name, m, _time(m, "received_time"), "intake")


def _material(sources: Sources, name: str, m: object, when: datetime, stage: str) -> None:
    content = {
        k: getattr(m, k)
        for k in ("submitted_by", "description", "is_copy", "checked_against_original", "pages")
    }
    content["stamps"] = list(getattr(m, "stamps", []))
    item = _item("material", name, "submitted_material", when, content)
    # At the desk they are what the complainant handed in (Art 9), not the 调查中 form.
    title = "受理时投诉（举报）人提交资料" if stage == "intake" else item.title_zh
    sources.others.append(FileItem(**{**item.__dict__, "stage": stage, "title_zh": title}))


def receipt_items(records: list[enforcement_pb2.ServiceRecord], sources: Sources) -> None:
    for r in records:
        content = {
            "document": r.document,
            "document_type": document_type(r.document_type).zh,
            "method": METHODS_ZH.get(r.method, ""),
            "served_time": _time(r, "served_time").isoformat(),
            "recipient": r.recipient,
            "signed_by": r.signed_by,
            "note": r.note,
        }
        sources.others.append(
            _item(
                "receipt",
                r.name,
                "service_receipt",
                _time(r, "served_time"),
                content,
                r.receipt_sha256,
            )
        )


def gather(platform: Platform, case_id: str) -> Sources:
    md = platform.forward(current_principal().tenant)
    sources = Sources()
    media = call_sibling(
        media_pb2_grpc.MediaServiceStub(platform.channel("media")).ListRecordings,
        media_pb2.ListRecordingsRequest(case=f"cases/{case_id}"),
        md,
    )
    sources.media = list(media.recordings)
    sources.recordings = [recording_ref(r) for r in media.recordings]
    missing = call_sibling(
        media_pb2_grpc.MediaServiceStub(platform.channel("media")).ListSessions,
        media_pb2.ListSessionsRequest(parent=f"cases/{case_id}", filter="footage_missing = true"),
        md,
    )
    sources.sessions_without_footage = [s.name for s in missing.sessions]
    intake = call_sibling(
        intake_pb2_grpc.IntakeServiceStub(platform.channel("intake")).GetIntake,
        intake_pb2.GetIntakeRequest(name=f"intakes/{case_id}"),
        md,
    ).intake
    intake_items(intake, sources)
    stub = enforcement_pb2_grpc.EnforcementServiceStub(platform.channel("enforcement"))
    for parent in (f"intakes/{case_id}", f"cases/{case_id}"):
        got = call_sibling(
            stub.ListServiceRecords, enforcement_pb2.ListServiceRecordsRequest(case=parent), md
        )
        receipt_items(list(got.records), sources)
    return sources


def retain_footage(platform: Platform, case_id: str, kind: str, request_id: str) -> None:
    """Ask media, as this service, to lock the case's recordings for the period of the
    file's kind (Art 43), before the file is archived. The request id is derived from
    the archive's, so a retried archive is a retry here too."""
    call_sibling(
        media_pb2_grpc.MediaServiceStub(platform.channel("media")).RetainCaseRecordings,
        media_pb2.RetainCaseRecordingsRequest(
            request_id=str(uuid.uuid5(uuid.NAMESPACE_URL, f"archive/{request_id}")),
            case=f"cases/{case_id}",
            kind=kind,
        ),
        platform.as_service(current_principal().tenant),
    )
