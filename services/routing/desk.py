"""Playing an outside desk (public security, procuratorate, court, province) in tests
and demos. A desk runs none of Liuhen's services: it reads its own topic
(`liuhen.desk.<tenant>.<kind>`) and answers by writing an envelope onto the site's topic
(`liuhen.site.<tenant>`), which is all these helpers do (DESIGN §1, §7)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from typing import Any

from liuhen.platform.db import utcnow
from liuhen.platform.outbox import DESK_KINDS, check_route, kind_of, topic_for_site
from liuhen.platform.ports import LogRecord, MessageLog
from liuhen.routing.v1 import routing_pb2


def desk_of(tenant: str, kind: str) -> str:
    """The desk id, e.g. desk_of("jiangan", "psb") == "jiangan.psb"."""
    if kind not in DESK_KINDS:
        raise ValueError(f"a desk is one of {DESK_KINDS}, not {kind!r}")
    return f"{tenant}.{kind}"


def desk_envelope(
    *,
    type: str,
    desk: str,
    recipient: str,
    case_ref: str,
    payload: Mapping[str, Any],
    correlation_id: str = "",
    case_number: str = "",
) -> routing_pb2.Envelope:
    """An envelope as `desk` would write it to `recipient` (refused if the routes of
    sites.yaml do not allow it, as the site would refuse it on receipt)."""
    if kind_of(desk)[0] not in (*DESK_KINDS, "province"):
        raise ValueError(f"{desk!r} is not a desk")
    check_route(type, desk, recipient)
    envelope = routing_pb2.Envelope(
        message_id=str(uuid.uuid4()),
        type=type,
        sender=desk,
        recipient=recipient,
        case_ref=case_ref,
        case_number=case_number,
        correlation_id=correlation_id,
        payload_json=json.dumps(dict(payload), ensure_ascii=False, sort_keys=True),
    )
    envelope.sent_time.FromDatetime(utcnow())
    return envelope


def publish_from_desk(messages: MessageLog, envelope: routing_pb2.Envelope) -> int:
    """Write `envelope` onto its recipient site's topic as the desk would; returns the
    log offset."""
    return messages.publish(
        topic_for_site(envelope.recipient),
        key=envelope.message_id,
        value=envelope.SerializeToString(),
        headers={},
    )


def read_desk(
    messages: MessageLog, desk: str, *, group: str = "", max_records: int = 100
) -> list[routing_pb2.Envelope]:
    """What has reached the desk's own topic (what a desk would read)."""
    consumer = messages.consumer(group or f"desk.{desk}", [topic_for_site(desk)])
    try:
        records: list[LogRecord] = consumer.poll(max_records=max_records, timeout_s=0.0)
        out = []
        for record in records:
            out.append(routing_pb2.Envelope.FromString(record.value))
            consumer.commit(record)
        return out
    finally:
        consumer.close()
