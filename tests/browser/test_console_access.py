"""Access to recordings from the console, in headless Chromium on the embedded default
(seed Art 44: 调阅、复制…由案件审理部门统一办理…详细登记; Art 46: a party's copy 经本机构
负责人同意): a handler asks to view, the review department approves from its work list,
the handler plays it and the look is in the register; a party's copy waits for the head
after the reviewer; an officer without the role has no button, and a forged approval
is refused by the media service with its words and article."""

from __future__ import annotations

from selenium.webdriver.support.ui import WebDriverWait

from liuhen.media.v1 import media_pb2 as mpb
from tests.browser.test_console_routes import FETCH_RANGE
from tests.browser_support import Page
from tests.service.test_media import footage, metadata, upload
from tests.support import Site, file_case, rid

JA = "jiangan"
SIZE = 256 * 1024

FORGE = """const f = document.createElement('form'); f.method = 'post';
f.action = arguments[0];
const i = document.createElement('input'); i.name = 'request_id'; i.value = arguments[1];
f.append(i); document.body.append(f); f.submit();"""


def recorded(site: Site) -> tuple[str, mpb.Recording, bytes]:
    case = file_case(site)  # handler1 handles it, reviewer1 reviews it (Art 6)
    chunks = footage(SIZE)
    rec = upload(site.client("media", JA, "handler1"), metadata(case), chunks)
    return case, rec, b"".join(chunks)


def file_request(page: Page, rec: mpb.Recording, kind: str, reason: str, party: bool) -> str:
    """Files the request on the recording's page; returns its row's selector."""
    page.open(f"/{rec.name}")
    before = {
        e.get_attribute("id")
        for e in page.driver.find_elements("css selector", "tr.access-request")
    }
    page.select("#request-kind", kind)
    page.select("#request-requester", "party" if party else "officer")
    page.fill("#request-reason", reason)
    page.click("#request-file")
    rows = page.driver.find_elements("css selector", "tr.access-request")
    (new,) = [e.get_attribute("id") for e in rows if e.get_attribute("id") not in before]
    return f"#{new}"


def test_art44_a_handler_asks_to_view_the_reviewer_approves_and_the_handler_plays_it(
    page: Page, site: Site
) -> None:
    case, rec, whole = recorded(site)
    page.sign_in_embedded(JA, "handler1")
    page.open(f"/{case}")
    page.click(f"#recordings a.recording-page[href='/{rec.name}']")
    page.fill("#request-reason", "")
    page.click("#request-file")  # no reason: the service names the field (Art 44 事由)
    assert page.text("#error-reason")
    page.shot("view-request-refused-without-reason")
    row = file_request(page, rec, "view", "核对询问过程", party=False)
    assert page.find(row).get_attribute("data-approved") == "false"
    assert "审理" in page.text(f"{row} .missing") and "seed Art 44" in page.text(f"{row} .missing")
    assert not page.has(f"{row} a.play") and not page.has(f"{row} .approve-request")
    page.shot("view-requested")

    page.sign_in_embedded(JA, "reviewer1")
    assert page.has(f"section.work {row} .approve-request")  # on the work list
    page.shot("reviewer-worklist-with-request")
    page.click(f"{row} .approve-request button")
    assert page.path() == "/" and not page.has(row)

    page.sign_in_embedded(JA, "handler1")
    page.open(f"/{rec.name}")
    assert page.find(row).get_attribute("data-approved") == "true"
    assert "审理员1" in page.text(f"{row} .approvals")
    page.shot("view-approved")
    page.click(f"{row} a.play")
    src = page.find("#player").get_attribute("src")
    got = page.driver.execute_async_script(FETCH_RANGE, src, "bytes=1000-1099")
    assert got["status"] == 206, got["body"]
    assert bytes(got["body"]) == whole[1000:1100]
    page.shot("handler-plays")

    # The register on the recording's page (kept by the review department): the
    # handler's read, with its reason and who approved it.
    page.sign_in_embedded(JA, "reviewer1")
    page.open(f"/{rec.name}")
    register = page.text("#access-register")
    assert "承办人1" in register and "核对询问过程" in register and "审理员1" in register
    assert "1000+100" in register
    page.driver.execute_script("document.getElementById('register').scrollIntoView()")
    page.shot("register")


def test_art46_a_partys_copy_needs_the_head_after_the_reviewer(page: Page, site: Site) -> None:
    _, rec, _ = recorded(site)
    page.sign_in_embedded(JA, "handler1")  # records the party's written application
    row = file_request(page, rec, "copy", "当事人申请复制用于行政复议", party=True)
    assert page.text(f"{row} td:nth-child(2)").startswith(rec.labels.party)
    page.shot("party-copy-requested")

    page.sign_in_embedded(JA, "reviewer1")
    page.open(f"/{rec.name}")
    page.click(f"{row} .approve-request button")
    # The review department alone does not complete it: the page says who and why.
    missing = page.text(f"{row} .missing")
    assert "负责人" in missing and "seed Art 46" in missing
    assert page.find(row).get_attribute("data-approved") == "false"
    assert not page.has(f"{row} .approve-request")
    page.shot("party-copy-awaits-head")
    page.sign_in_embedded(JA, "reviewer2")  # another reviewer cannot stand in for the head
    page.open(f"/{rec.name}")
    assert not page.has(f"{row} .approve-request")
    req = row.removeprefix("#request-")
    page.driver.execute_script(FORGE, f"/{rec.name}/access_requests/{req}/approve", rid())
    WebDriverWait(page.driver, 20).until(lambda d: page.has("#refusal"))
    assert "负责人" in page.text("#refusal .message")
    assert page.text("#article").startswith("seed Art 46")
    page.shot("reviewer-cannot-stand-in-for-head")

    page.sign_in_embedded(JA, "handler1")  # the copier: nothing to copy yet
    page.open(f"/{rec.name}")
    assert not page.has(f"{row} .make-copy")

    page.sign_in_embedded(JA, "head1")
    assert page.has(f"section.work {row}")
    page.shot("head-worklist-with-party-copy")
    page.click(f"{row} .approve-request button")

    page.sign_in_embedded(JA, "handler1")
    page.open(f"/{rec.name}")
    assert page.find(row).get_attribute("data-approved") == "true"
    page.click(f"{row} .make-copy button")
    assert page.text("#copy-sha256") == rec.sha256
    page.shot("copy-manifest")


def test_art44_no_approve_button_without_the_role_and_a_forged_approval_is_refused(
    page: Page, site: Site
) -> None:
    _, rec, _ = recorded(site)
    page.sign_in_embedded(JA, "handler1")
    row = file_request(page, rec, "view", "核对询问过程", party=False)
    req = row.removeprefix("#request-")

    page.sign_in_embedded(JA, "handler2")
    assert not page.has("section.work .approve-request")
    page.open(f"/{rec.name}")
    assert page.has(row) and not page.has(f"{row} .approve-request")
    assert not page.has("#access-register")  # the register is the review department's
    page.shot("handler2-sees-no-button")
    # The same post the reviewer's button makes, forged in the handler's browser.
    page.driver.execute_script(FORGE, f"/{rec.name}/access_requests/{req}/approve", rid())
    WebDriverWait(page.driver, 20).until(lambda d: page.has("#refusal"))
    assert "尚需" in page.text("#refusal .message")  # the service's own words
    assert page.text("#article").startswith("seed Art 44")
    page.shot("forged-approval-refused")
    got = site.client("media", JA, "reviewer1").GetRecordingAccessRequest(
        mpb.GetRecordingAccessRequestRequest(name=f"{rec.name}/access_requests/{req}")
    )
    assert not got.access_request.approvals
