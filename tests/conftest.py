from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from liuhen.platform.clock import SettableClock, install
from tests.support import Site, running_site


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """The five services of Liuhen on the embedded default, in-process, on free ports."""
    with running_site(tmp_path / "liuhen") as s:
        yield s


@pytest.fixture
def clock() -> Iterator[SettableClock]:
    """The process's clock, standing at 2026-09-21 12:00 in Wuhan until a test moves it
    (legal periods run for days and months; tests never sleep through them)."""
    moved = SettableClock(datetime(2026, 9, 21, 12, 0, tzinfo=timezone(timedelta(hours=8))))
    previous = install(moved)
    try:
        yield moved
    finally:
        install(previous)
