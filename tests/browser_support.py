"""Browser-test support: the console served in-process (uvicorn on a port the OS picks)
in front of a running site, and Debian's headless Chromium driven by Selenium through
Debian's chromium-driver (nothing downloaded; `make system-packages` installs both)."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import uvicorn
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from liuhen.console.app import create_app
from liuhen.console.settings import ConsoleSettings
from liuhen.platform.config import Settings
from liuhen.platform.polling import wait_for

T = TypeVar("T")
CHROMIUM = Path(os.environ.get("LIUHEN_CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("LIUHEN_CHROMEDRIVER", "/usr/bin/chromedriver"))
# Screenshots of every page the tests visit: kept after the run as artifacts.
ARTIFACTS = Path(os.environ.get("LIUHEN_ARTIFACTS", "/tmp/liuhen-artifacts")) / "console"


@contextmanager
def serving_console(settings: Settings, public_url: str = "") -> Iterator[str]:
    """The console for `settings`' services on 127.0.0.1:<free port>; yields its URL."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    url = public_url or f"http://127.0.0.1:{port}"
    app = create_app(ConsoleSettings(settings, "test-session-secret", url))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    wait_for(lambda: server.started or not thread.is_alive(), "the console", timeout_s=30)
    if not server.started:
        raise RuntimeError("the console did not start")
    try:
        yield url
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


@contextmanager
def chromium() -> Iterator[webdriver.Chrome]:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in (
        "--headless=new",
        "--no-sandbox",  # root in CI containers
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
        "--lang=zh-CN",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(str(CHROMEDRIVER)))
    driver.implicitly_wait(0)
    try:
        yield driver
    finally:
        driver.quit()


def _gone(element: Any) -> bool:
    """The element left the page: stale, or (while Chromium swaps the document) a node
    that no longer belongs to it."""
    try:
        element.is_enabled()
    except StaleElementReferenceException:
        return True
    except WebDriverException as exc:
        if "does not belong to the document" in str(exc):
            return True
        raise
    return False


@dataclass
class Page:
    """One officer's browser on the console, taking a screenshot of each page it shows."""

    driver: webdriver.Chrome
    base: str
    shots: Path
    count: int = 0

    def open(self, path: str) -> None:
        self.driver.get(self.base + path)
        self.loaded()

    def shot(self, label: str) -> Path:
        self.count += 1
        self.shots.mkdir(parents=True, exist_ok=True)
        path = self.shots / f"{self.count:02d}-{re.sub(r'[^a-z0-9_-]+', '-', label)}.png"
        self.driver.save_screenshot(str(path))
        return path

    def find(self, css: str, timeout: float = 10.0) -> Any:
        return WebDriverWait(self.driver, timeout).until(
            expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css))
        )

    def _on(self, css: str, act: Callable[[Any], T]) -> T:
        """Act on the element, looked up afresh if the page was still being replaced
        (a loaded machine lets a navigation overtake the lookup)."""
        for attempt in range(5):
            try:
                return act(self.find(css))
            except WebDriverException as exc:
                if attempt == 4 or not (
                    isinstance(exc, StaleElementReferenceException)
                    or "does not belong to the document" in str(exc)
                ):
                    raise  # otherwise look the element up again: `find` waits for it
        raise AssertionError("unreachable")

    def text(self, css: str) -> str:
        return self._on(css, lambda e: str(e.text))

    def loaded(self, timeout: float = 20.0) -> None:
        WebDriverWait(self.driver, timeout).until(
            lambda d: d.execute_script("return document.readyState") == "complete"
        )

    def click(self, css: str, timeout: float = 20.0) -> None:
        """Click what submits or follows a link, and wait for the next page."""
        old = self.driver.find_element(By.TAG_NAME, "html")
        self._on(css, lambda e: e.click())
        WebDriverWait(self.driver, timeout).until(lambda d: _gone(old))
        self.loaded(timeout)

    def fill(self, css: str, value: str) -> None:
        self._on(css, lambda e: (e.clear(), e.send_keys(value)))

    def select(self, css: str, value: str) -> None:
        from selenium.webdriver.support.select import Select

        self._on(css, lambda e: Select(e).select_by_value(value))

    def path(self) -> str:
        return str(self.driver.current_url).removeprefix(self.base)

    def has(self, css: str) -> bool:
        return bool(self.driver.find_elements(By.CSS_SELECTOR, css))

    def sign_in_embedded(self, tenant: str, username: str) -> None:
        self.open("/login")
        self.driver.delete_all_cookies()
        self.open("/login")
        self.select("#tenant", tenant)
        self.select("#username", username)
        self.shot(f"login-{tenant}-{username}")
        self.click("#sign-in")
        self.find("#who")
