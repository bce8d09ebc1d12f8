"""The time every service reads (`db.utcnow()`): the system's, or one a test moves.

Legal periods run for weeks and months (a suit may be brought for 6 months, 行政诉讼法
Art 46); tests walk a case through them by moving a `SettableClock`, never by sleeping.
The clock is per process, as the in-process site of the tests shares one process.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class SettableClock:
    """A clock that stands still until told: `set` it to a moment, `advance` it."""

    def __init__(self, start: datetime) -> None:
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def set(self, moment: datetime) -> None:
        with self._lock:
            self._now = moment.astimezone(UTC)

    def advance(self, delta: timedelta) -> datetime:
        with self._lock:
            self._now += delta
            return self._now


_current: Clock = SystemClock()


def current() -> Clock:
    return _current


def install(clock: Clock) -> Clock:
    """Make `clock` the process's clock; returns the one it replaces (to put back)."""
    global _current
    previous, _current = _current, clock
    return previous


def now() -> datetime:
    return _current.now()
