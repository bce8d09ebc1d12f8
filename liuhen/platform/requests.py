"""The check every request passes before its servicer runs (issue 10; DESIGN §8).

Driven by the protobuf descriptors, so it covers every field of every method, new ones
included: an enum holds a value its proto defines, a Timestamp lies in the window of
`catalog/limits.yaml` with nanos in [0, 1e9), a floating-point number is finite, and a
string, bytes or repeated field is within its size. Each refusal is INVALID_ARGUMENT
naming the field (`complainant.name`, `officers[1].certificate_no`).
"""

from __future__ import annotations

import math
from typing import Any

from google.protobuf.descriptor import FieldDescriptor
from google.protobuf.message import Message

from liuhen.platform.errors import InvalidArgument
from liuhen.platform.limits import limits

RULE = "DESIGN §8"
TIMESTAMP = "google.protobuf.Timestamp"
NANOS = 1_000_000_000
FLOATS = (FieldDescriptor.TYPE_DOUBLE, FieldDescriptor.TYPE_FLOAT)


def check_request(message: Message, prefix: str = "") -> None:
    """Refuse the first field of `message` (and of the messages in it) out of bounds."""
    for field, value in message.ListFields():
        path = prefix + field.name
        if not field.is_repeated:
            _check_value(field, value, path)
            continue
        _check_count(field, len(value), path)
        if field.message_type is not None and field.message_type.GetOptions().map_entry:
            key, val = (
                field.message_type.fields_by_name["key"],
                field.message_type.fields_by_name["value"],
            )
            for k, v in value.items():
                _check_value(key, k, f"{path}[key]")
                _check_value(val, v, f"{path}[{k!r}]" if len(str(k)) < 40 else f"{path}[…]")
        else:
            for i, item in enumerate(value):
                _check_value(field, item, f"{path}[{i}]")


def _check_value(field: FieldDescriptor, value: Any, path: str) -> None:
    kind = field.type
    if kind == FieldDescriptor.TYPE_MESSAGE:
        if field.message_type.full_name == TIMESTAMP:
            _check_time(value, path)
        else:
            check_request(value, path + ".")
    elif kind == FieldDescriptor.TYPE_ENUM:
        _check_enum(field, value, path)
    elif kind == FieldDescriptor.TYPE_STRING:
        most = limits().chars(field.full_name)
        if len(value) > most:
            raise _too_long(path, len(value), most, "characters", "个字符")
    elif kind == FieldDescriptor.TYPE_BYTES:
        most = limits().kinds["bytes"]
        if len(value) > most:
            raise _too_long(path, len(value), most, "bytes", "字节")
    elif kind in FLOATS and not math.isfinite(value):
        raise InvalidArgument(
            "NOT_A_FINITE_NUMBER",
            f"{path} must be a finite number, not {value}",
            f"{path} 须为有限数值",
            article=RULE,
            field=path,
        )


def _check_count(field: FieldDescriptor, count: int, path: str) -> None:
    most = limits().kinds["repeated"]
    if count > most:
        raise InvalidArgument(
            "TOO_MANY_ITEMS",
            f"{path} holds {count} items; at most {most}",
            f"{path} 最多 {most} 项",
            article=RULE,
            field=path,
        )


def _check_enum(field: FieldDescriptor, value: int, path: str) -> None:
    enum = field.enum_type
    if value not in enum.values_by_number:
        names = ", ".join(v.name for v in enum.values if v.number)
        raise InvalidArgument(
            "UNDEFINED_ENUM_VALUE",
            f"{path} = {value} is not a value of {enum.name} ({names})",
            f"{path} 的取值 {value} 未定义",
            article=RULE,
            field=path,
        )


def _check_time(value: Any, path: str) -> None:
    lim = limits()
    earliest, latest = int(lim.earliest.timestamp()), int(lim.latest.timestamp())
    if not (earliest <= value.seconds < latest and 0 <= value.nanos < NANOS):
        raise InvalidArgument(
            "TIMESTAMP_OUT_OF_RANGE",
            f"{path} must lie between {lim.earliest:%Y-%m-%d} and {lim.latest:%Y-%m-%d} with "
            f"nanos in [0, 1e9) (seconds={value.seconds}, nanos={value.nanos})",
            f"{path} 时间超出范围",
            article=RULE,
            field=path,
        )


def _too_long(path: str, size: int, most: int, unit: str, unit_zh: str) -> InvalidArgument:
    return InvalidArgument(
        "FIELD_TOO_LONG",
        f"{path} holds {size} {unit}; at most {most}",
        f"{path} 超过 {most} {unit_zh}",
        article=RULE,
        field=path,
    )
