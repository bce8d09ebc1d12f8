"""Resource states at the API edge (AIP-216): inside, a service keeps its states as plain
lower-case keys (`rectifying`), the strings its model, its catalogue and its database
columns use; on the wire each resource's `state` is an enum whose value names are those
keys upper-cased (`Case.RECTIFYING`). The servicers convert here, in both directions,
and nowhere else. tests/unit/test_state_enums.py keeps each enum and its service's list
of states the same set.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, TypeVar, cast

from google.protobuf.message import Message

_UNSET = SimpleNamespace(number=0)  # STATE_UNSPECIFIED is 0 (AIP-126) and names no state
E = TypeVar("E", bound=int)


class UnknownState(LookupError):
    """A service state the API enum has no value for: the enum and the service drifted
    apart (a server fault, not the caller's mistake)."""


def to_enum(enum: type[E], key: str, *, prefix: str = "") -> E:
    """The enum value of a service's state key: `to_enum(Case.State, "open") ==
    Case.OPEN`; `prefix` for a top-level enum whose names carry it (OFFSITE_STATE_)."""
    wrapper: Any = enum  # a generated enum: its class has Name, Value, keys, DESCRIPTOR
    name = prefix + key.upper()
    if not key or not wrapper.DESCRIPTOR.values_by_name.get(name, _UNSET).number:
        raise UnknownState(
            f"state {key!r} has no value in {wrapper.DESCRIPTOR.full_name}; "
            f"known: {', '.join(sorted(keys(enum, prefix=prefix)))}"
        )
    return cast(E, wrapper.Value(name))


def to_key(enum: type[int], value: int, *, prefix: str = "") -> str:
    """The service's state key of an enum value (`Case.OPEN` -> "open"); "" for the
    unspecified 0 (an absent state) or a value this build does not know."""
    wrapper: Any = enum
    try:
        name: str = wrapper.Name(value)
    except ValueError:
        return ""
    if not value or not name.startswith(prefix):
        return ""
    return name[len(prefix) :].lower()


def key_of(message: Message, field: str = "state", *, prefix: str = "") -> str:
    """The state key of a message's enum field (`key_of(case) == "rectifying"`): what a
    caller compares, filters on and names in Chinese, without knowing the enum's type."""
    enum = message.DESCRIPTOR.fields_by_name[field].enum_type
    value = enum.values_by_number.get(getattr(message, field))
    if value is None or not value.number or not value.name.startswith(prefix):
        return ""
    return str(value.name[len(prefix) :].lower())


def keys(enum: type[int], *, prefix: str = "") -> set[str]:
    """Every state key the enum has a value for (the unspecified 0 left out)."""
    wrapper: Any = enum
    return {
        v.name[len(prefix) :].lower()
        for v in wrapper.DESCRIPTOR.values
        if v.number and v.name.startswith(prefix)
    }


def filter_key(value: str) -> str:
    """A state as a List filter names it, either the key (`state = "registered"`) or the
    enum value name AIP-160 allows (`state = REGISTERED`), as the service's key."""
    return value.lower() if value.isupper() else value
