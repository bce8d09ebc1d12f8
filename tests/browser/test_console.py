"""The console in a real browser (headless Chromium) on the embedded default: the main
path from a complaint at the desk to an effective rectification order and a verified
ledger, the tenant boundary, and the Art 6 separation kept by the services."""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from liuhen.cases.v1 import cases_pb2 as cpb
from tests.browser_support import Page
from tests.samples import EMPLOYER, VIOLATIONS
from tests.support import Site, file_case, rid

JA = "jiangan"


def register_and_file(page: Page) -> str:
    """The intake officer registers a complaint and drafts the filing approval form; the
    head approves filing (Art 11, 13); the intake officer opens the case. Returns it."""
    page.sign_in_embedded(JA, "intake1")
    page.shot("intake-worklist")
    page.click("#new-intake")
    page.fill("#complainant", "李四")
    page.fill("#employer", EMPLOYER["name"])
    page.fill("#violation", "拖欠3名劳动者两个月工资")
    page.shot("intake-register-form")
    page.click("#register")
    assert page.text("#intake-state") == "已登记"
    intake = page.path()
    page.fill("#summary", "用人单位涉嫌拖欠工资，属本机构管辖，报请立案")
    page.shot("intake-registered")
    page.click("#draft-filing")
    assert page.text("#intake-state") == "立案审批中"

    page.sign_in_embedded(JA, "head1")
    assert EMPLOYER["name"] in page.text("main")  # 待审批立案 on the head's work list
    page.shot("head-worklist")
    page.open(intake)
    page.click("#approve-filing")
    assert page.text("#intake-state") == "已立案"
    page.shot("head-filed")

    page.sign_in_embedded(JA, "intake1")
    page.open(intake)
    page.click("#open-case")
    return page.path()


def test_art11_to_art28_a_complaint_becomes_an_effective_order_and_the_ledger_verifies(
    page: Page, site: Site
) -> None:
    case = register_and_file(page)
    page.sign_in_embedded(JA, "head1")
    page.open(case)
    page.shot("case-open")
    page.click("#assign")  # handler1 and reviewer1 (Art 6)
    assert page.text("#handler") == "承办人1"

    page.sign_in_embedded(JA, "handler1")
    assert page.text("#case-state") if page.path() != "/" else True
    assert "我承办的案件" in page.text("main") and EMPLOYER["name"] in page.text("main")
    page.shot("handler-worklist")
    page.open(case)
    page.select("#draft-type", "rectification_order")
    page.click("#draft-start")
    # A wrong credit code is refused by the service, shown beside the field.
    page.fill("[name='f.employer.name']", EMPLOYER["name"])
    page.fill("[name='f.employer.uscc']", "91420102MA4KLY3N20")
    lines = "\n".join(f"{v['fact']} | {v['basis']}" for v in VIOLATIONS)
    page.fill("[name='f.violations']", lines)
    page.fill("[name='f.period_days']", "10")
    page.click("#save-draft")
    assert "uscc" in page.text("#error-employer").lower() or page.text("#error-employer")
    page.shot("handler-draft-refused-field")
    page.fill("[name='f.employer.uscc']", EMPLOYER["uscc"])
    page.click("#save-draft")
    assert page.text("#doc-state") == "草稿"
    page.shot("handler-draft")
    page.click("#submit-doc")
    assert page.text("#doc-state") == "已生效"  # the order has no approval chain (Art 28)
    order = page.path()
    page.shot("handler-order-effective")

    # A suspension waits for the reviewer (审理) and then the head (Art 29).
    page.open(case)
    page.select("#draft-type", "suspension_approval")
    page.click("#draft-start")
    page.fill("[name='f.reason']", "用人单位下落不明，调查无法继续")
    page.click("#save-draft")
    page.click("#submit-doc")
    suspension = page.path()
    assert page.find("#awaiting").get_attribute("data-roles").startswith("reviewer")

    page.sign_in_embedded(JA, "reviewer1")
    assert "待审理的文书" in page.text("main")
    page.shot("reviewer-worklist")
    page.open(suspension)
    page.shot("reviewer-document")
    page.click("#review-pass")
    assert page.find("#awaiting").get_attribute("data-roles") == "head"

    page.sign_in_embedded(JA, "head1")
    page.open(suspension)
    page.click("#approve-doc")
    assert page.text("#doc-state") == "已生效"

    page.open(case)
    page.shot("case-page")
    documents = page.text("#documents")
    assert "劳动保障监察限期改正指令书" in documents and "已生效" in documents
    assert page.text("#ledger-verdict").startswith("校验通过")
    assert len(page.driver.find_elements(By.CSS_SELECTOR, "#ledger li")) >= 8
    assert page.has(f"a[href='{order}/pdf']")
    # The timeline links each entry to what it binds (here the order, by its hash).
    assert page.has(f"#ledger a.ref[href='{order}']")
    pdf = fetch(page, f"{order}/pdf")
    assert pdf.startswith(b"%PDF")


def fetch(page: Page, path: str) -> bytes:
    """The bytes behind a link, with the browser's session cookie."""
    cookie = "; ".join(f"{c['name']}={c['value']}" for c in page.driver.get_cookies())
    request = urllib.request.Request(page.base + path, headers={"Cookie": cookie})
    with urllib.request.urlopen(request, timeout=30) as reply:
        return bytes(reply.read())


def test_design3_a_jiangan_officer_cannot_open_a_hongshan_case_by_url(
    page: Page, site: Site
) -> None:
    hongshan_case = file_case(site, "hongshan")
    page.sign_in_embedded(JA, "head1")
    page.open(f"/{hongshan_case}")
    page.shot("other-tenant-case")
    assert "未找到" in page.text("#refusal")
    assert not page.has("#case-number")


def test_art6_no_reviewer_buttons_for_the_desk_and_a_forged_post_is_refused(
    page: Page, site: Site
) -> None:
    case = file_case(site)
    handler = site.client("cases", JA, "handler1")
    doc = handler.DraftDocument(
        cpb.DraftDocumentRequest(
            request_id=rid(),
            case=case,
            type="suspension_approval",
            content_json=json.dumps({"reason": "用人单位下落不明"}),
        )
    ).document
    handler.SubmitDocument(cpb.SubmitDocumentRequest(request_id=rid(), document=doc.name))
    page.sign_in_embedded(JA, "intake1")
    page.open(f"/{doc.name}")
    page.shot("desk-sees-document")
    assert page.find("#awaiting").get_attribute("data-roles").startswith("reviewer")
    assert not page.has("#review-form") and not page.has("#approve-form")
    # The same post the reviewer's button makes, forged in the desk officer's browser.
    page.driver.execute_script(
        """const f = document.createElement('form'); f.method = 'post';
        f.action = arguments[0];
        for (const [k, v] of [['request_id', arguments[1]], ['passed', 'true']]) {
          const i = document.createElement('input'); i.name = k; i.value = v; f.append(i); }
        document.body.append(f); f.submit();""",
        f"/{doc.name}/review",
        rid(),
    )
    assert "需要角色 reviewer" in page.text("#refusal .message")  # the service's own words
    assert page.text("#article")
    page.shot("forged-post-refused")
    still = handler.GetDocument(cpb.GetDocumentRequest(name=doc.name)).document
    assert still.approval_chain[0] == "reviewer"


def test_art41_a_handler_uploads_a_recording_with_a_progress_bar(
    page: Page, site: Site, tmp_path: Path
) -> None:
    case = file_case(site)
    clip = tmp_path / "interview.mp4"
    clip.write_bytes(bytes(range(256)) * (16 * 1024))  # 4 MiB
    page.sign_in_embedded(JA, "handler1")
    page.open(f"/{case}")
    page.find("#upload-file").send_keys(str(clip))
    page.fill("#upload-place", "某公司办公室")
    page.driver.execute_script(
        "document.getElementById('upload-start').value = '2026-11-30T09:00';"
        "document.getElementById('upload-end').value = '2026-11-30T09:20';"
    )
    page.find("#upload-button").click()
    page.find("#upload-status[data-done='true']", timeout=60)
    assert page.find("#upload-progress").get_attribute("value") == "100"
    page.shot("upload-done")
    WebDriverWait(page.driver, 20).until(lambda d: "4194304 字节" in page.text("#recordings"))
    page.shot("case-with-recording")


def test_art31_the_reviewer_returns_a_document_only_with_reasons(page: Page, site: Site) -> None:
    case = file_case(site)
    handler = site.client("cases", JA, "handler1")
    doc = handler.DraftDocument(
        cpb.DraftDocumentRequest(
            request_id=rid(),
            case=case,
            type="revocation_approval",
            content_json=json.dumps({"reason": "不属于劳动保障监察事项"}),
        )
    ).document
    handler.SubmitDocument(cpb.SubmitDocumentRequest(request_id=rid(), document=doc.name))
    page.sign_in_embedded(JA, "reviewer1")
    page.open(f"/{doc.name}")
    page.click("#review-return")
    assert page.text("#refusal .message") == "退回文书须写明理由"  # the service's words
    page.shot("return-without-reasons")
    page.open(f"/{doc.name}")
    page.fill("#review-comment", "撤销理由不充分，请补充调查情况")
    page.click("#review-return")
    assert page.text("#doc-state") == "已退回"
    page.shot("returned")


def test_aip160_a_list_page_filters_and_shows_a_malformed_filter_refused(
    page: Page, site: Site
) -> None:
    case = file_case(site)
    page.sign_in_embedded(JA, "head1")
    page.open("/list/cases")
    page.fill("#list-filter", 'state = investigating AND employer : "某公司"')
    page.click("#list-apply")
    assert page.has(f"a[href='/{case}']")
    page.shot("list-filtered")
    page.fill("#list-filter", "state == investigating")
    page.click("#list-apply")
    assert "筛选条件" in page.text("#refusal .message") and page.text("#article") == "AIP-160"
    page.shot("list-bad-filter")
