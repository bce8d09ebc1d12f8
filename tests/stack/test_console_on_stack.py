"""The console on the real stack: an officer signs in on the tenant realm's own Keycloak
login page (authorization code with PKCE through Authlib), sees a case filed on the
stack with its verified ledger, and signs out at Keycloak too."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser_support import ARTIFACTS, Page, chromium, serving_console
from tests.support import Site, file_case

pytestmark = pytest.mark.stack


@pytest.fixture
def stack_page(stack_site: Site) -> Iterator[Page]:
    with serving_console(stack_site.settings) as url, chromium() as driver:
        yield Page(driver, url, ARTIFACTS / "stack")


def test_design3_an_officer_signs_in_with_keycloak_and_sees_a_case_and_its_ledger(
    stack_site: Site, stack_page: Page
) -> None:
    page = stack_page
    case = file_case(stack_site)
    page.open("/login")
    page.select("#tenant", "jiangan")
    page.shot("stack-login")
    page.click("#sign-in")
    keycloak = stack_site.settings.keycloak_url
    assert page.driver.current_url.startswith(f"{keycloak}/realms/jiangan/")
    assert "code_challenge=" in page.driver.current_url  # PKCE
    page.fill("#username", "handler1")
    page.fill("#password", "pass")
    page.shot("stack-keycloak-login")
    page.click("#kc-login")
    assert "承办" in page.text("#who") and "jiangan" in page.text("#who")
    page.shot("stack-worklist")
    page.open(f"/{case}")
    assert page.text("#ledger-verdict").startswith("校验通过")
    page.shot("stack-case")
    page.click("#logout")
    if page.has("#kc-logout"):  # Keycloak asks to confirm a sign-out without an ID token
        page.click("#kc-logout")
    WebDriverWait(page.driver, 20).until(lambda d: d.current_url.startswith(page.base + "/login"))
    page.open(f"/{case}")
    assert page.path() == "/login"  # the session is gone
