"""Conversions between datetimes and google.protobuf.Timestamp, used by every servicer
and the CLI."""

from __future__ import annotations

from datetime import UTC, datetime

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp


def timestamp(value: datetime | None) -> Timestamp | None:
    """A Timestamp for a datetime; None leaves the field unset."""
    if value is None:
        return None
    ts = Timestamp()
    ts.FromDatetime(value)
    return ts


def datetime_of(message: Message, field: str) -> datetime | None:
    """The UTC datetime in `message.field`, or None when the field is unset."""
    if not message.HasField(field):
        return None
    ts: Timestamp = getattr(message, field)
    value: datetime = ts.ToDatetime(tzinfo=UTC)
    return value
