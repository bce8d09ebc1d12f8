from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import Site, running_site


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """The five services of Liuhen on the embedded default, in-process, on free ports."""
    with running_site(tmp_path / "liuhen") as s:
        yield s
