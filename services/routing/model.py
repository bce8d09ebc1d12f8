"""Routing domain (DESIGN §7; seed Art 21): what the receiving site does with a message
that arrives on its topic, what state an inbox message is in, and when the assisting
organisation may answer a 委托协查函 with a 协查回函. No I/O here."""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Literal

from liuhen.platform.errors import FailedPrecondition, InvalidArgument, require

ASSISTANCE_REQUEST = "assistance_request"  # 劳动保障监察委托协查函 (Art 21(2))
ASSISTANCE_REPLY = "assistance_reply"  # 劳动保障监察协查回函 (Art 21(3))
SERVICE_ENTRUSTMENT = "service_entrustment"  # 劳动保障监察委托送达函 (Art 37(5))
ENTRUSTED_SERVICE_RECEIPT = "entrusted_service_receipt"  # its 送达回执, with the circumstances
SERVICE_ENTRUSTMENT_REFUSAL = "service_entrustment_refusal"  # not its area, recipient unknown

# answer type -> the request it answers: accepted only from the site this one sent the
# request to (a receipt or reply for a request never sent is a dead letter).
ANSWERS: dict[str, str] = {
    ASSISTANCE_REPLY: ASSISTANCE_REQUEST,
    ENTRUSTED_SERVICE_RECEIPT: SERVICE_ENTRUSTMENT,
    SERVICE_ENTRUSTMENT_REFUSAL: SERVICE_ENTRUSTMENT,
}
_REQUEST_NAMES = {
    ASSISTANCE_REQUEST: "an assistance request",
    SERVICE_ENTRUSTMENT: "a service entrustment",
}
# Requests that wait in the receiving site's inbox for a person, and the action of the
# entry on the receiving site's own record of them (assist_record, entrust_record).
WAITING: dict[str, str] = {
    ASSISTANCE_REQUEST: "assistance_request.received",
    SERVICE_ENTRUSTMENT: "service_entrustment.received",
}


@dataclass(frozen=True)
class Apply:
    """What the receiving site does with a message of one type once it is in the inbox:
    hand it to `service` (cases: RecordInboundDocument as `document_type`; intake:
    RecordInboundIntake). `needs_case`: the envelope must name the case it concerns."""

    service: Literal["cases", "intake", "enforcement", "ledger"]
    document_type: str = ""
    needs_case: bool = False


# message type -> how it is applied (DESIGN §7). A type not here (an assistance request)
# waits in the inbox for a person.
INBOUND: dict[str, Apply] = {
    ASSISTANCE_REPLY: Apply("cases", ASSISTANCE_REPLY, needs_case=True),  # Art 21(3)
    # From the same-level public security and court desks (Art 30, 40).
    "referral_receipt": Apply("cases", "criminal_referral_receipt", needs_case=True),
    "police_filing_decision": Apply("cases", "police_filing_decision", needs_case=True),
    "reconsideration_decision": Apply("cases", "reconsideration_decision", needs_case=True),
    "court_acceptance": Apply("cases", "court_acceptance", needs_case=True),
    "court_ruling": Apply("cases", "court_ruling", needs_case=True),
    # The entrusted site's 送达回执 or refusal, onto the entrustment (Art 37(5)).
    ENTRUSTED_SERVICE_RECEIPT: Apply("enforcement", needs_case=True),
    SERVICE_ENTRUSTMENT_REFUSAL: Apply("enforcement", needs_case=True),
    # Jurisdiction (Art 12-15): each makes an intake at the receiving site.
    "jurisdiction_transfer": Apply("intake"),
    "designation": Apply("intake"),
    "jurisdiction_dispute": Apply("intake"),
    # The ledger log's checkpoints and cosignatures (DESIGN §4; Art 45): routing itself.
    "checkpoint": Apply("ledger"),
    "cosignature": Apply("ledger"),
}

# Inbox states: received (waiting: for a person, or for a retry), applied (acted on),
# answered (an assistance request the assisting site has replied to), dead (refused or
# impossible to apply, with its reason: nothing is dropped silently).
RECEIVED, APPLIED, ANSWERED, DEAD = "received", "applied", "answered", "dead"
# Outbox states: pending (not yet on the log), sent.
PENDING, SENT = "pending", "sent"
STATES = (PENDING, SENT, RECEIVED, APPLIED, ANSWERED, DEAD)  # the proto's Message.State
DIRECTIONS = ("inbox", "outbox")

# A sibling's answer that retrying cannot change: the message is dead.
PERMANENT_CODES = frozenset(
    {"NOT_FOUND", "INVALID_ARGUMENT", "FAILED_PRECONDITION", "PERMISSION_DENIED"}
)
MAX_BACKOFF_S = 60.0


@dataclass(frozen=True)
class Inbound:
    """What the receiving side reads off an envelope (or off a record it cannot read)."""

    message_id: str
    type: str
    sender: str
    recipient: str
    correlation_id: str = ""
    case_ref: str = ""


@dataclass(frozen=True)
class Verdict:
    action: Literal["accept", "duplicate", "dead"]
    reason: str = ""

    @property
    def state(self) -> str:
        return DEAD if self.action == "dead" else RECEIVED


def is_uuid(value: str) -> bool:
    try:
        return str(uuid.UUID(value)) == value
    except ValueError:
        return False


def substitute_id(raw: bytes) -> str:
    """The inbox key of a record that carries no usable message id: derived from its
    bytes, so the same bytes delivered again are still a duplicate."""
    return str(uuid.uuid5(uuid.NAMESPACE_OID, hashlib.sha256(raw).hexdigest()))


def classify(
    msg: Inbound,
    *,
    tenant: str,
    seen: bool,
    route_refusal: str = "",
    answers_own_request: bool = True,
) -> Verdict:
    """Decide what a message arriving on `tenant`'s topic is (DESIGN §7): a duplicate of
    one already in the inbox (a no-op), one to accept, or a dead letter with its reason.
    `route_refusal` is why the routes of sites.yaml refuse it ("" if they allow it);
    `answers_own_request` says whether an answer (ANSWERS) answers a request this site
    sent to its sender."""
    if seen:
        return Verdict("duplicate")
    if not is_uuid(msg.message_id):
        return Verdict("dead", "the record is not a readable envelope with a message id")
    if msg.recipient != tenant:
        return Verdict(
            "dead", f"addressed to {msg.recipient or 'nobody'} but delivered to {tenant}"
        )
    if route_refusal:
        return Verdict("dead", f"route refused on receipt: {route_refusal}")
    apply = INBOUND.get(msg.type)
    if apply is not None and apply.needs_case and not msg.case_ref:
        return Verdict("dead", f"a {msg.type.replace('_', ' ')} must name the case it concerns")
    if msg.type in ANSWERS and not answers_own_request:
        return Verdict(
            "dead",
            f"the {msg.type.replace('_', ' ')} answers {msg.correlation_id or 'no message'}, "
            f"not {_REQUEST_NAMES[ANSWERS[msg.type]]} {tenant} sent to {msg.sender}",
        )
    return Verdict("accept")


def after_apply_error(code: str) -> str:
    """The state a message stays in when the service applying it refused it: dead if
    retrying cannot help, otherwise received (retried next round)."""
    return DEAD if code in PERMANENT_CODES else RECEIVED


def backoff_s(attempts: int, base_s: float) -> float:
    """Delay before the next attempt at applying a message that failed `attempts` times."""
    return float(min(MAX_BACKOFF_S, base_s * 2 ** min(attempts, 16)))


def check_reply(message_type: str, state: str, findings: str) -> None:
    """The assisting organisation answers a received 委托协查函 once (Art 21(3))."""
    if message_type != ASSISTANCE_REQUEST:
        raise FailedPrecondition(
            "NOT_AN_ASSISTANCE_REQUEST",
            f"a {message_type} is not an assistance request and cannot be answered with a reply",
            "该消息不是委托协查函，不能回函",
            article="seed Art 21(3)",
        )
    if state != RECEIVED:
        raise FailedPrecondition(
            "ASSISTANCE_REQUEST_NOT_OPEN",
            f"the assistance request is {state}, not waiting for a reply",
            "该委托协查函已回函或不可回函",
            article="seed Art 21(3)",
        )
    require(
        findings.strip(),
        "findings",
        "what the assisting investigation found",
        article="seed Art 21(3)",
    )


def reply_payload(*, request_id: str, findings: str, handler_name: str, replied_by: str) -> str:
    return json.dumps(
        {
            "findings": findings,
            "handler_name": handler_name,
            "replied_by": replied_by,
            "request_message_id": request_id,
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def check_direction(direction: str) -> None:
    if direction and direction not in DIRECTIONS:
        raise InvalidArgument(
            "UNKNOWN_DIRECTION",
            "direction must be inbox, outbox or empty",
            "方向应为 inbox、outbox 或留空",
            field="direction",
        )


def assist_record(message_id: str) -> str:
    """The assisting organisation's own record of a request it received (ledger case id)."""
    return f"assist-{message_id}"


def entrust_record(message_id: str) -> str:
    """The entrusted site's own record of an entrustment it received (ledger case id)."""
    return f"entrust-{message_id}"


def record_of(message_type: str, message_id: str) -> str:
    """The receiving site's record of a request waiting for a person (WAITING)."""
    if message_type == SERVICE_ENTRUSTMENT:
        return entrust_record(message_id)
    return assist_record(message_id)
