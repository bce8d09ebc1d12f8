"""Fault points for crash tests (issue 10: kill -9 at points of an upload).

`LIUHEN_TEST_FAULT=<point>:kill` makes the process kill itself with SIGKILL when it
reaches `<point>`; `<point>:hang` makes the thread reaching it wait forever (the test
then kills the process). Unset (always, outside the crash tests), a point does nothing.
"""

from __future__ import annotations

import os
import signal
import threading


def fault_point(configured: str, point: str) -> None:
    """Act out the fault configured for `point`, if any."""
    if not configured:
        return
    name, _, action = configured.partition(":")
    if name != point:
        return
    if action == "hang":
        threading.Event().wait()
    os.kill(os.getpid(), signal.SIGKILL)
