"""A district's request to another province travels through the city (seed Art 21(2)):
the district sends its approved 委托协查函 with copies of the case file to the city; the
city's review department forwards it to the province desk; the province's 协查回函 comes
back to the city, which relays it to the district, onto the district's case.

The forwarded envelope's correlation id is the district's message id, so the reply is
traced back without a table of its own."""

from __future__ import annotations

import json

from liuhen.platform import ledger, outbox
from liuhen.platform.auth import Principal
from liuhen.platform.catalogue import site
from liuhen.platform.db import UnitOfWork, utcnow
from liuhen.platform.errors import FailedPrecondition, not_found
from liuhen.platform.outbox import InboxRow, OutboxRow
from liuhen.routing.v1 import routing_pb2
from services.routing.model import ANSWERED, APPLIED, ASSISTANCE_REPLY, ASSISTANCE_REQUEST

SERVICE = "routing"
ART21 = "seed Art 21(2)"


def _envelope(raw: bytes) -> routing_pb2.Envelope:
    envelope = routing_pb2.Envelope()
    envelope.ParseFromString(raw)
    return envelope


def forward_to_province(uow: UnitOfWork, principal: Principal, *, message_id: str) -> OutboxRow:
    """The city's review department sends a district's cross-province request on to the
    province desk (Art 21(2): 由市监察机构向省劳动保障监察局办理协查移送手续)."""
    principal.require_role("reviewer", action="forwarding an assistance request to the province")
    row = outbox.inbox_row(uow, message_id)
    if row is None:
        raise not_found("message", f"messages/{message_id}")
    request = _envelope(row.envelope)
    payload = json.loads(request.payload_json or "{}")
    if (
        site(uow.tenant).level != "city"
        or row.type != ASSISTANCE_REQUEST
        or row.state != "received"
        or not payload.get("across_province")
    ):
        raise FailedPrecondition(
            "NOT_A_CROSS_PROVINCE_REQUEST",
            "only the city forwards a district's cross-province request it has not yet handled",
            "仅市监察机构转报区监察机构的跨省协查请求",
            article=ART21,
            field="message",
        )
    forwarded = outbox.enqueue(
        uow,
        type=ASSISTANCE_REQUEST,
        recipient=outbox.PROVINCE,
        case_ref=request.case_ref,
        case_number=request.case_number,
        correlation_id=message_id,
        payload_json=json.dumps({**payload, "forwarded_for": row.sender}, ensure_ascii=False),
        document_hashes=tuple(request.document_hashes),
    )
    row.state, row.applied_at = ANSWERED, utcnow()
    row.detail = f"forwarded to {outbox.PROVINCE} as messages/{forwarded.message_id}"
    ledger.append(
        uow,
        case_id=f"assist/{message_id}",
        service=SERVICE,
        action="assistance_request.forwarded",
        actor=ledger.actor_of(principal, "reviewer"),
        payload={"message_id": forwarded.message_id, "from": row.sender, "to": outbox.PROVINCE},
        refs=[f"messages/{forwarded.message_id}"],
    )
    uow.session.flush()
    sent = uow.session.get(OutboxRow, forwarded.message_id)
    if sent is None:  # pragma: no cover - enqueue added it in this transaction
        raise RuntimeError("the forwarded request did not reach the outbox")
    return sent


def relay_reply(uow: UnitOfWork, row: InboxRow, reply: routing_pb2.Envelope) -> bool:
    """A province's reply to a request this city forwarded goes on to the district that
    asked (Art 21(3)); returns whether it was such a reply (then it is relayed, not
    applied here)."""
    if reply.type != ASSISTANCE_REPLY or reply.sender != outbox.PROVINCE:
        return False
    sent = uow.session.get(OutboxRow, reply.correlation_id)
    if sent is None or sent.tenant_id != uow.tenant:
        return False
    original = _envelope(sent.envelope).correlation_id
    asked = outbox.inbox_row(uow, original) if original else None
    if asked is None:
        return False
    relayed = outbox.enqueue(
        uow,
        type=ASSISTANCE_REPLY,
        recipient=asked.sender,
        case_ref=reply.case_ref,
        case_number=reply.case_number,
        correlation_id=original,
        payload_json=reply.payload_json,
        document_hashes=tuple(reply.document_hashes),
    )
    row.state, row.applied_at = APPLIED, utcnow()
    row.detail = f"relayed to {asked.sender} as messages/{relayed.message_id}"
    return True
