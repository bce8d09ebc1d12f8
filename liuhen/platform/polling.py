"""Waiting on something another worker does (the relay, an inbox, the copier, the
signer), which runs on its own interval: poll the condition, with a deadline, never
sleep for a fixed time and hope."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(
    probe: Callable[[], T | None], what: str, timeout_s: float = 20.0, interval_s: float = 0.05
) -> T:
    """The first truthy value `probe` returns; TimeoutError naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(interval_s)
    raise TimeoutError(f"timed out waiting for {what}")
