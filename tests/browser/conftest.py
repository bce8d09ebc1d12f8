"""Browser tests: the console in front of a whole site on the embedded default, and
headless Chromium. Screenshots go to the folder printed in the report header."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.browser_support import ARTIFACTS, Page, chromium, serving_console
from tests.support import Site

RUN = time.strftime("%Y%m%d-%H%M%S")


def pytest_report_header() -> str:
    return f"console screenshots: {ARTIFACTS / RUN}"


@pytest.fixture
def console(site: Site) -> Iterator[str]:
    with serving_console(site.settings) as url:
        yield url


@pytest.fixture
def page(console: str, request: pytest.FixtureRequest) -> Iterator[Page]:
    with chromium() as driver:
        yield Page(driver, console, ARTIFACTS / RUN / request.node.name)
