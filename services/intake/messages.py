"""What an intake's jurisdiction messages carry between organisations (seed Art 12–15):
the slip, the original particulars and the list of materials going out, and the intake
the receiving organisation makes of them coming in. No I/O here."""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import Any

from liuhen.platform import jsoncontent
from liuhen.platform.errors import FailedPrecondition, InvalidArgument
from liuhen.platform.limits import limits
from liuhen.platform.stamps import SUBMITTERS
from liuhen.platform.timestamps import date_of
from services.intake.documents import IntakeDocument
from services.intake.model import (
    Intake,
    Material,
    RegisterComplaint,
    is_time_barred,
    validate_registration,
)

INTAKE_API = "liuhen.intake.v1"

# message type -> (source of the intake it makes, the state it starts in) (Art 8, 12, 14)
INBOUND = {
    "jurisdiction_transfer": ("transfer", "registered"),
    "designation": ("assignment", "registered"),
    "jurisdiction_dispute": ("transfer", "dispute_pending"),
}


def outbound_payload(intake: Intake, doc: IntakeDocument) -> str:
    """The slip, the case particulars as this organisation received them, and the
    materials list (each with its stamps), as the receiving organisation needs them."""
    particulars = {
        "source": intake.source,
        "kind": intake.kind,
        "complainant": {
            "name": intake.complainant_name,
            "anonymous": intake.anonymous,
            "gender": intake.gender,
            "contact": intake.contact,
        },
        "employer": {"name": intake.employer_name, "address": intake.employer_address},
        "violation": intake.violation,
        "received_at": intake.received_at.isoformat(),
        "conduct_ended_on": intake.conduct_ended_on.isoformat() if intake.conduct_ended_on else "",
        "reported_within_two_years": intake.reported_within_two_years,
        "case_number": intake.case_number,
    }
    materials = [
        {
            "submitted_by": m.submitted_by,
            "description": m.description,
            "is_copy": m.is_copy,
            "checked_against_original": m.checked_against_original,
            "pages": m.pages,
            "stamps": m.stamps.split("\n") if m.stamps else [],
        }
        for m in intake.materials
    ]
    slip = {
        "document": doc.name,
        "type": doc.type,
        "zh": doc.doc_type.zh,
        "content": json.loads(doc.content_json),
        "content_sha256": doc.content_sha256,
        "drafted_by": doc.drafted_by,
        "approved_by": doc.approved_by,
    }
    body: dict[str, Any] = {"slip": slip, "intake": particulars, "materials": materials}
    settled = settles(intake, doc)
    if settled:
        body["settles"] = settled
    return json.dumps(body, ensure_ascii=False, sort_keys=True)


def settles(intake: Intake, doc: IntakeDocument) -> dict[str, str]:
    """The dispute a designation settles (Art 14): the district that raised it, its
    intake and the district designated; {} for any other slip."""
    if doc.type != "designation_slip" or not intake.from_site:
        return {}
    if json.loads(intake.origin_json or "{}").get("type") != "jurisdiction_dispute_request":
        return {}
    return {"site": intake.from_site, "intake": intake.sender_intake, "designated": doc.recipient}


def recipients(intake: Intake, doc: IntakeDocument) -> list[str]:
    """Who receives the slip's message: the designated district, and the district that
    raised the dispute when it is another one, so its own intake is closed (Art 14)."""
    settled = settles(intake, doc)
    extra = [settled["site"]] if settled and settled["site"] != doc.recipient else []
    return [doc.recipient, *extra]


def settle_dispute(
    original: Intake, *, settled: dict[str, str], tenant: str, message_id: str, from_site: str
) -> None:
    """The city's answer to the dispute this district raised: designated here, the
    original intake is registered again for filing; designated elsewhere, it is closed."""
    if original.state != "dispute_raised":
        raise FailedPrecondition(
            "NO_DISPUTE_RAISED",
            f"{settled.get('intake')} has raised no dispute waiting for the city",
            "该受理登记未提请指定管辖",
            article="seed Art 14",
        )
    original.inbound_message_id, original.from_site = message_id, from_site
    original.state = "registered" if settled.get("designated") == tenant else "designated_elsewhere"


def _bad(why: str) -> InvalidArgument:
    return InvalidArgument(
        "MALFORMED_PAYLOAD",
        f"the message payload is not an intake slip: {why}",
        "消息内容不是有效的移送（指定）材料",
        article="seed Art 12",
        field="payload_json",
    )


def read_payload(message_type: str, payload_json: str) -> dict[str, Any]:
    if message_type not in INBOUND:
        raise InvalidArgument(
            "NOT_AN_INTAKE_MESSAGE",
            f"{message_type!r} does not create an intake",
            "该消息不产生受理登记",
            article="seed Art 12-15",
            field="message_type",
        )
    body = jsoncontent.parse_object(payload_json, "payload_json", article="seed Art 12")
    if not isinstance(body.get("intake"), dict):
        raise _bad("no intake particulars")
    if not isinstance(body.get("settles") or {}, dict):
        raise _bad("settles is not an object")
    return body


def registration_of(
    body: dict[str, Any], *, source: str, received_at: datetime
) -> RegisterComplaint:
    """The registration form the receiving desk makes from the slip's contents (Art 12),
    each particular within the size the desk's own form allows it."""
    p = body["intake"]
    who, employer = _section(p, "complainant"), _section(p, "employer")
    cmd = RegisterComplaint(
        source=source,
        kind=_text(p, "kind", "RegisterComplaintRequest.kind"),
        complainant_name=_text(who, "name", "Person.name"),
        anonymous=bool(who.get("anonymous", False)),
        gender=_text(who, "gender", "Person.gender"),
        contact=_text(who, "contact", "Person.contact"),
        employer_name=_text(employer, "name", "Employer.name"),
        employer_address=_text(employer, "address", "Employer.address"),
        violation=_text(p, "violation", "RegisterComplaintRequest.violation"),
        received_at=received_at,
        conduct_ended_on=date_of(
            _text(p, "conduct_ended_on", "RegisterComplaintRequest.conduct_ended_on"),
            "payload_json.intake.conduct_ended_on",
        ),
        reported_within_two_years=bool(p.get("reported_within_two_years", False)),
    )
    validate_registration(cmd)
    return cmd


def materials_of(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The sender's materials list, each item with the stamps it carried there."""
    out, given = [], body.get("materials") or []
    if not isinstance(given, list):
        raise _bad("materials is not a list")
    for m in given:
        if not isinstance(m, dict) or m.get("submitted_by") not in SUBMITTERS:
            raise _bad("a material without a known submitter")
        out.append(
            {
                "submitted_by": m["submitted_by"],
                "description": _text(m, "description", "RecordMaterialRequest.description"),
                "is_copy": bool(m.get("is_copy", False)),
                "checked_against_original": bool(m.get("checked_against_original", False)),
                "pages": _pages(m.get("pages")),
                "stamps": "\n".join(_stamps(m.get("stamps"))),
            }
        )
    return out


def intake_of(
    body: dict[str, Any],
    *,
    message_type: str,
    message_id: str,
    from_site: str,
    sender_intake: str,
    tenant: str,
    registered_by: str,
    received_at: datetime,
) -> Intake:
    """The intake a received transfer, designation or dispute makes, with the sender's
    materials (Art 12, 14); `body` is what read_payload returned."""
    source, state = INBOUND[message_type]
    cmd = registration_of(body, source=source, received_at=received_at)
    intake = Intake(
        id=str(uuid.uuid4()),
        tenant_id=tenant,
        registered_by=registered_by,
        state=state,
        from_site=from_site,
        sender_intake=sender_intake,
        inbound_message_id=message_id,
        origin_json=json.dumps(body.get("slip") or {}, ensure_ascii=False, sort_keys=True),
        **cmd.__dict__,
    )
    # Art 20 counts to when the matter was first reported, at the sender, not to today.
    intake.time_barred = is_time_barred(
        cmd.conduct_ended_on, _first_received(body, received_at), cmd.reported_within_two_years
    )
    intake.materials.extend(
        Material(
            id=str(uuid.uuid4()),
            intake_id=intake.id,
            tenant_id=tenant,
            received_at=received_at,
            **m,
        )
        for m in materials_of(body)
    )
    return intake


def _section(particulars: dict[str, Any], key: str) -> dict[str, Any]:
    value = particulars.get(key) or {}
    if not isinstance(value, dict):
        raise _bad(f"{key} is not an object")
    return value


def _text(section: dict[str, Any], key: str, form_field: str) -> str:
    """A particular as text, no longer than the desk's form (`form_field` of the intake
    API) takes it."""
    value = section.get(key)
    text = "" if value is None else str(value)
    most = limits().chars(f"{INTAKE_API}.{form_field}")
    if len(text) > most:
        raise _bad(f"{key} is longer than {most} characters")
    return text


def _pages(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**31:
        raise _bad("a material's pages is not a count")
    return value


def _stamps(value: Any) -> list[str]:
    stamps = value or []
    most = limits().kinds["repeated"]
    if not isinstance(stamps, list) or len(stamps) > most:
        raise _bad(f"a material's stamps are not a list of at most {most}")
    return [_text({"stamp": s}, "stamp", "Material.stamps") for s in stamps]


def _first_received(body: dict[str, Any], default: datetime) -> datetime:
    try:
        first = datetime.fromisoformat(str(body["intake"].get("received_at", "")))
    except ValueError:
        return default
    lim = limits()
    in_window = first.tzinfo is not None and lim.earliest <= first < lim.latest
    return first if in_window else default
