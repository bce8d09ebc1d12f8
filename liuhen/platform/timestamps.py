"""Conversions between datetimes and google.protobuf.Timestamp, used by every servicer
and the CLI."""

from __future__ import annotations

from datetime import UTC, date, datetime

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from liuhen.platform.errors import InvalidArgument
from liuhen.platform.limits import limits


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


def date_of(value: str, field: str) -> date | None:
    """The date a request gives as YYYY-MM-DD ("" is None), within the window of
    `catalog/limits.yaml`, so every period counted from it is still a date."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise InvalidArgument(
            "MALFORMED_DATE",
            f"{field} must be YYYY-MM-DD",
            f"{field} 日期格式应为 YYYY-MM-DD",
            article="DESIGN §8",
            field=field,
        ) from None
    lim = limits()
    if not lim.earliest.date() <= day < lim.latest.date():
        raise InvalidArgument(
            "DATE_OUT_OF_RANGE",
            f"{field} must lie between {lim.earliest:%Y-%m-%d} and {lim.latest:%Y-%m-%d}",
            f"{field} 日期超出范围",
            article="DESIGN §8",
            field=field,
        )
    return day
