"""The console's paths between organisations and out of the office, in headless
Chromium on the embedded default: a transfer of jurisdiction (Art 15), the city's
designation of a district in a dispute (Art 14), an assistance request and its reply
(Art 21), the service of a document with its evidence (Art 37), and the paging of
every list. Each step goes through the services with the officer's own token; each
refusal is the service's, shown beside the field it names."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from google.protobuf.timestamp_pb2 import Timestamp
from selenium.webdriver.common.by import By

from liuhen.cases.v1 import cases_pb2 as cpb
from liuhen.enforcement.v1 import enforcement_pb2 as epb
from liuhen.intake.v1 import intake_pb2 as ipb
from liuhen.media.v1 import media_pb2 as mpb
from liuhen.platform.polling import wait_for
from tests.browser_support import Page
from tests.samples import sample_content
from tests.service.test_cases_steps import draft, effective
from tests.service.test_entrusted_service import letter
from tests.service.test_media import footage, metadata, upload
from tests.support import Site, file_case, rid

JA, HS, WH = "jiangan", "hongshan", "wuhan"


def register(site: Site, tenant: str, employer: str = "某劳务公司") -> str:
    return str(
        site.client("intake", tenant, "intake1")
        .RegisterComplaint(
            ipb.RegisterComplaintRequest(
                request_id=rid(),
                source=ipb.SOURCE_LETTER,
                kind=ipb.INTAKE_KIND_COMPLAINT,
                complainant=ipb.Person(name="李四", contact="13900000000"),
                employer=ipb.Employer(name=employer, address="洪山区某路2号"),
                violation="拖欠农民工工资",
            )
        )
        .intake.name
    )


def not_ours(site: Site, tenant: str, intake: str) -> None:
    """The desk finds at filing that the matter is not this organisation's; the head
    agrees (Art 13, 15): the intake waits to be transferred."""
    site.client("intake", tenant, "intake1").DraftFilingApproval(
        ipb.DraftFilingApprovalRequest(
            request_id=rid(), intake=intake, within_jurisdiction=False, summary="用工地在洪山区"
        )
    )
    site.client("intake", tenant, "head1").ApproveFiling(
        ipb.ApproveFilingRequest(request_id=rid(), intake=intake)
    )


def until(page: Page, path: str, shown: Callable[[], bool], what: str) -> None:
    """Reload `path` until the page shows what routing delivers in the background."""

    def look() -> bool:
        page.open(path)
        return shown()

    wait_for(look, what, timeout_s=60)


def test_art15_a_transfer_is_drafted_approved_and_reaches_the_district_with_jurisdiction(
    page: Page, site: Site
) -> None:
    intake = register(site, JA)
    not_ours(site, JA, intake)
    page.sign_in_embedded(JA, "intake1")
    page.open(f"/{intake}")
    page.shot("to-transfer")
    page.select("#intake-draft-type", "jurisdiction_transfer_slip")
    page.click("#intake-draft-start")
    page.fill("[name='f.grounds']", "用工地及工资发放地均在洪山区")
    page.click("#save-draft")  # no recipient: the service names the field
    assert page.has("#field-recipient.invalid")
    assert "recipient" in page.text("#error-recipient") or page.text("#error-recipient")
    page.shot("transfer-refused-beside-recipient")
    page.select("#recipient", HS)
    page.click("#save-draft")
    assert page.text("#doc-state") == "草稿"
    slip = page.path()
    page.click("#submit-doc")
    assert page.find("#awaiting").get_attribute("data-roles") == "head"
    assert not page.has("#approve-form")  # the desk does not approve its own slip

    page.sign_in_embedded(JA, "head1")
    page.open(slip)
    page.shot("head-approves-transfer")
    page.click("#approve-doc")
    assert page.text("#doc-state") == "已生效"
    assert page.text("#doc-recipient").startswith("洪山区") and page.has("#doc-message")
    page.shot("transfer-sent")

    page.sign_in_embedded(HS, "intake1")
    until(
        page,
        "/",
        lambda: bool(page.driver.find_elements(By.CSS_SELECTOR, "tr.message a[href^='/intakes/']")),
        "the transfer on hongshan's work list",
    )
    assert "移送管辖" in page.text("main") and "江岸区" in page.text("main")
    page.shot("district-receives-transfer")
    page.click("tr.message[data-type='jurisdiction_transfer'] a[href^='/intakes/']")
    assert page.text("#from-site").startswith("江岸区")
    assert page.text("#intake-state") == "已登记"
    page.shot("transferred-intake")


def test_art14_the_city_sees_a_dispute_and_designates_a_district(page: Page, site: Site) -> None:
    intake = register(site, JA, "某争议公司")
    not_ours(site, JA, intake)
    desk = site.client("intake", JA, "intake1")
    raised = desk.DraftIntakeDocument(
        ipb.DraftIntakeDocumentRequest(
            request_id=rid(),
            intake=intake,
            type="jurisdiction_dispute_request",
            content_json=json.dumps({"grounds": "与洪山区对管辖有争议"}, ensure_ascii=False),
        )
    ).document
    desk.SubmitIntakeDocument(
        ipb.SubmitIntakeDocumentRequest(request_id=rid(), document=raised.name)
    )
    site.client("intake", JA, "head1").ApproveIntakeDocument(
        ipb.ApproveIntakeDocumentRequest(request_id=rid(), document=raised.name)
    )

    page.sign_in_embedded(WH, "head1")
    until(page, "/", lambda: "某争议公司" in page.text("main"), "the dispute at the city")
    assert "待指定管辖的争议" in page.text("main") and "本级办理的案件" in page.text("main")
    assert page.has("tr.message[data-type='jurisdiction_dispute']")
    page.shot("city-worklist-dispute")
    pending = page.find("tr.message[data-type='jurisdiction_dispute'] a[href^='/intakes/']")
    pending_path = pending.get_attribute("href").removeprefix(page.base)

    page.sign_in_embedded(WH, "reviewer1")  # the city's reviewer drafts (Art 14)
    page.open(pending_path)
    page.shot("city-dispute-intake")
    page.select("#intake-draft-type", "designation_slip")
    page.click("#intake-draft-start")
    page.select("#recipient", HS)
    page.fill("[name='f.grounds']", "用工地在洪山区，指定洪山区办理")
    page.click("#save-draft")
    page.click("#submit-doc")
    slip = page.path()

    page.sign_in_embedded(WH, "head1")
    page.open(slip)
    page.click("#approve-doc")
    assert page.text("#doc-state") == "已生效"
    page.shot("designation-sent")

    page.sign_in_embedded(HS, "intake1")
    until(
        page,
        "/messages?direction=inbox",
        lambda: page.has("tr.message[data-type='designation']"),
        "the designation at hongshan",
    )
    page.shot("district-inbox-designation")


def approved_assistance_request(site: Site, case: str) -> str:
    handler = site.client("cases", JA, "handler1")
    doc = handler.DraftDocument(
        cpb.DraftDocumentRequest(
            request_id=rid(),
            case=case,
            type="assistance_request",
            content_json=json.dumps(
                {"matters": "核实该公司在洪山区工地的用工及工资支付情况"}, ensure_ascii=False
            ),
        )
    ).document
    handler.SubmitDocument(cpb.SubmitDocumentRequest(request_id=rid(), document=doc.name))
    site.client("cases", JA, "head1").ApproveDocument(
        cpb.ApproveDocumentRequest(request_id=rid(), document=doc.name)
    )
    return str(doc.name)


def test_art21_an_assistance_request_is_sent_from_the_case_page_and_answered(
    page: Page, site: Site
) -> None:
    case = file_case(site)
    doc = approved_assistance_request(site, case)
    row = f"#doc-{doc.rsplit('/', 1)[1]}"
    page.sign_in_embedded(JA, "handler1")
    page.open(f"/{case}")
    # A district's request to another province goes to the city, not to a district
    # (Art 21(2)): the service says so, and the page shows its words and article.
    page.select(f"{row} select[name='recipient']", HS)
    page.find(f"{row} input[name='across_province']").click()
    page.click(f"{row} .send-assistance button")
    assert "市监察机构案件审理部门" in page.text("#refusal .message")
    assert page.text("#article").startswith("seed Art 21")
    page.shot("assistance-to-province-refused")
    page.open(f"/{case}")
    page.select(f"{row} select[name='recipient']", HS)
    page.click(f"{row} .send-assistance button")
    assert page.text("#sent").startswith("已发送")
    page.shot("assistance-sent")

    page.sign_in_embedded(HS, "handler1")
    until(
        page,
        "/",
        lambda: page.has("tr.message[data-type='assistance_request']"),
        "the request on hongshan's work list",
    )
    page.shot("assisting-worklist")
    page.click("tr.message[data-type='assistance_request'] a[href^='/messages/']")
    assert page.text("#message-state") == "待处理" and page.text("#message-peer") == "江岸区"
    page.fill("#reply-findings", "该公司已于本月补发工资，工资支付台账已核实")
    page.shot("assistance-reply-form")
    page.click("#reply")
    assert page.text("#message-state") == "已回复" and not page.has("#reply-form")
    page.shot("assistance-answered")

    page.sign_in_embedded(JA, "handler1")
    until(page, f"/{case}", lambda: "协查回函" in page.text("#documents"), "the reply on the case")
    assert page.text("#ledger-verdict").startswith("校验通过")
    page.shot("case-with-reply")


def test_art37_a_document_is_served_with_its_evidence_from_the_case_page(
    page: Page, site: Site, tmp_path: Path
) -> None:
    case = file_case(site)
    handler = site.client("cases", JA, "handler1")
    order = handler.DraftDocument(
        cpb.DraftDocumentRequest(
            request_id=rid(),
            case=case,
            type="rectification_order",
            content_json=json.dumps(
                sample_content("rectification_order", period_days=10), ensure_ascii=False
            ),
        )
    ).document
    order = handler.SubmitDocument(
        cpb.SubmitDocumentRequest(request_id=rid(), document=order.name)
    ).document
    assert order.state == cpb.Document.EFFECTIVE
    photo = tmp_path / "left-at-door.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 64)

    page.sign_in_embedded(JA, "handler1")
    page.open(f"/{case}")
    page.click(f"#doc-{order.name.rsplit('/', 1)[1]} a.serve")
    page.select("#serve-method", "left_at_premises")
    page.fill("#serve-recipient", "某公司")
    page.fill("#serve-place", "某公司办公室")
    page.click("#serve-button")  # no circumstances, no witnesses: the service names them
    assert page.has(".field.invalid")
    assert page.text(".field-error")
    page.shot("serve-refused-beside-field")
    page.fill("#serve-note", "受送达人拒绝签收，留置于其办公室")
    page.fill("#details-witnesses", "王五（社区工作人员）")
    page.click("#serve-button")  # and no photo or video (Art 37(2))
    assert page.text("#error-evidence")
    page.shot("serve-refused-without-evidence")
    page.select("#evidence-0-kind", "photo")
    page.find("#evidence-0-file").send_keys(str(photo))
    page.fill("#evidence-0-description", "留置现场照片")
    page.click("#serve-button")
    assert page.path().startswith(f"/{case}")
    records = page.text("#service-records")
    assert "留置送达" in records and "照片" in records and f"{photo.stat().st_size} 字节" in records
    assert page.has("#ledger a.ref[href='#services']")  # the receipt on the timeline
    assert page.text("#ledger-verdict").startswith("校验通过")
    page.shot("served-with-evidence")
    served = site.client("enforcement", JA, "handler1")
    (record,) = served.ListServiceRecords(epb.ListServiceRecordsRequest(case=case)).records
    assert record.evidence[0].kind == "photo" and record.details["witnesses"].startswith("王五")


def test_aip158_every_list_pages_on_with_the_next_page_token(page: Page, site: Site) -> None:
    names = {register(site, JA, f"分页公司{i}") for i in range(3)}
    page.sign_in_embedded(JA, "intake1")
    page.open("/list/intakes?filter=employer+%3A+%22分页公司%22&page_size=2")
    first = {a.get_attribute("href").removeprefix(page.base + "/") for a in rows(page)}
    assert len(first) == 2 and not page.has(".first-page")
    page.shot("list-page-1")
    page.click(".next-page")
    second = {a.get_attribute("href").removeprefix(page.base + "/") for a in rows(page)}
    assert first | second == names and not first & second
    assert page.has(".first-page") and not page.has(".next-page")
    page.shot("list-page-2")
    page.click(".first-page")
    assert {a.get_attribute("href").removeprefix(page.base + "/") for a in rows(page)} == first


def test_aip158_a_cases_documents_and_ledger_show_a_page_and_more(page: Page, site: Site) -> None:
    """GetCase carries no documents, deadlines or ledger (issue 12): the case page shows
    the first page of each, and 更多 where the case has more (Art 45 timeline)."""
    case = file_case(site)
    for _ in range(3):
        draft(site, case, "inspection_record")
    page.sign_in_embedded(JA, "handler1")
    page.open(f"/{case}?page_size=2")

    def shown(selector: str) -> list[str]:
        found = page.driver.find_elements(By.CSS_SELECTOR, selector)
        return [str(e.get_attribute("id")) for e in found]

    ledger, documents = shown("#ledger li"), shown("#documents tr[id^='doc-']")
    assert len(ledger) == 2 and len(documents) == 2
    assert page.has("#ledger + .paging .more") and not page.has("#ledger + .paging .first-page")
    page.shot("case-page-first-pages")
    page.click("#ledger + .paging .more")
    after = shown("#ledger li")
    assert len(after) == 2 and not set(after) & set(ledger)
    assert int(after[0].removeprefix("entry-")) > int(ledger[-1].removeprefix("entry-"))
    assert shown("#documents tr[id^='doc-']") == documents  # the other lists stay on page 1
    page.click("#ledger + .paging .first-page")
    assert shown("#ledger li") == ledger
    page.click("#documents + .paging .more")
    assert not set(shown("#documents tr[id^='doc-']")) & set(documents)


def rows(page: Page) -> list[object]:
    return list(page.driver.find_elements(By.CSS_SELECTOR, "section.work td:first-child a"))


def test_art30_a_criminal_referral_is_sent_from_the_case_page_once(page: Page, site: Site) -> None:
    case = file_case(site)
    effective(site, case, "investigation_final_report", {"proposal": "涉嫌拒不支付劳动报酬罪"})
    effective(site, case, "criminal_referral_report", {"facts": "欠薪50万元，经责令仍不支付"})
    effective(site, case, "referral_materials_list", {"items": ["询问笔录", "工资表"]})
    effective(site, case, "criminal_referral_approval", {"opinion": "同意移送"})
    letter = effective(site, case, "criminal_referral_letter", {"to": "江岸区公安分局"})
    send = f"#doc-{letter.name.rsplit('/', 1)[1]} .send-desk button"
    page.sign_in_embedded(JA, "handler1")
    page.open(f"/{case}")
    page.shot("referral-ready")
    page.click(send)
    assert page.text("#case-state") == "已移送公安机关" and page.has("#sent")
    assert len(page.text("#sent").removeprefix("已发送：").split(",")) == 2  # and the copy
    page.shot("referral-sent")
    page.click(send)  # a second time: the service refuses (sent once only)
    assert page.text("#refusal .message") and "STEP_OUT_OF_ORDER" in page.text("#refusal")
    page.shot("referral-twice-refused")
    page.click("#messages-link")
    page.click("#outbox-link")
    outbox = page.text("#messages")
    assert "涉嫌犯罪案件移送" in outbox and "江岸区公安机关" in outbox
    assert "江岸区人民检察院" in outbox
    page.shot("outbox-referral")


def test_art10_a_registration_without_the_employer_is_refused_beside_that_field(
    page: Page, site: Site
) -> None:
    page.sign_in_embedded(JA, "intake1")
    page.click("#new-intake")
    page.fill("#complainant", "李四")
    page.fill("#violation", "拖欠工资")
    page.click("#register")
    assert "employer.name" in page.text("#error-employer")  # 缺少必填项 employer.name
    assert page.text("#error-employer").endswith("（seed Art 10(1)）")
    assert not page.has("#error-violation") and not page.has("#refusal")
    assert page.find("#violation").get_attribute("value") == "拖欠工资"  # kept as typed
    page.shot("register-refused-beside-employer")


def test_art47_the_city_sees_the_figures_each_district_reports(page: Page, site: Site) -> None:
    now = datetime.now(UTC)
    start, end = Timestamp(), Timestamp()
    start.FromDatetime(now - timedelta(days=1))
    end.FromDatetime(now + timedelta(days=1))
    sent = site.client("media", JA, "head1").SendSupervisionReport(
        mpb.SendSupervisionReportRequest(request_id=rid(), period_start=start, period_end=end)
    )
    page.sign_in_embedded(WH, "supervisor1")
    until(
        page,
        "/",
        lambda: page.has(f"tr.report[data-sender='{JA}']"),
        "jiangan's report on the city's work list",
    )
    row = page.text(f"tr.report[data-sender='{JA}']")
    assert row.startswith("江岸区") and f"{sent.report.recordings} 件" in row
    for section in sent.report.sections:
        assert section.title_zh in row
    page.shot("city-worklist-reports")
    page.open("/reports")
    assert page.has(f"#reports tr.report[data-sender='{JA}']")
    page.shot("city-reports")

    page.sign_in_embedded(JA, "head1")  # a district has no districts' reports
    assert not page.has("tr.report") and "各区报送的监督情况" not in page.text("main")


FETCH_RANGE = """
const [src, range, done] = arguments;
fetch(src, {headers: {Range: range}}).then(async (r) => done({
  status: r.status, range: r.headers.get('content-range') || '',
  body: r.ok ? Array.from(new Uint8Array(await r.arrayBuffer())) : await r.text()}));
"""


def test_art44_a_recording_plays_in_the_page_by_ranges_and_each_read_is_registered(
    page: Page, site: Site
) -> None:
    case = file_case(site)
    chunks = footage(256 * 1024)
    whole = b"".join(chunks)
    rec = upload(site.client("media", JA, "handler1"), metadata(case), chunks)

    # A handler without an approved access request is refused by the media service.
    page.sign_in_embedded(JA, "handler1")
    page.open(f"/{case}")
    page.click(f"#recordings a[href='/{rec.name}/view']")
    page.fill("#view-reason", "核对询问过程")
    page.click("#view-start")
    src = page.find("#player").get_attribute("src")
    got = page.driver.execute_async_script(FETCH_RANGE, src, "bytes=0-99")
    assert got["status"] == 403 and "seed Art 44" in got["body"]
    page.shot("playback-refused")

    page.sign_in_embedded(JA, "reviewer1")  # the review department reads directly
    page.open(f"/{rec.name}/view")
    page.fill("#view-reason", "审理")
    page.click("#view-start")
    src = page.find("#player").get_attribute("src")
    for first, last in ((1000, 1099), (200_000, 200_009)):  # a seek is a range
        got = page.driver.execute_async_script(FETCH_RANGE, src, f"bytes={first}-{last}")
        assert got["status"] == 206, got["body"]
        assert got["range"] == f"bytes {first}-{last}/{len(whole)}"
        assert bytes(got["body"]) == whole[first : last + 1]
    page.shot("playback")
    entries = (
        site.client("media", JA, "reviewer1")
        .ListRecordingAccessEntries(mpb.ListRecordingAccessEntriesRequest(parent=case))
        .entries
    )
    # Each range read is registered with its reason (Art 44), the player's own included;
    # the handler's refused read is not.
    assert {(e.offset, e.length) for e in entries} >= {(1000, 100), (200_000, 10)}
    assert {e.reason for e in entries} == {"审理"}


def entrusted_order(site: Site) -> tuple[str, str]:
    """jiangan's effective rectification order and its approved 委托送达函 to hongshan
    (the letter's chain is the head's, Art 21(2)); returns the case and the letter."""
    case = file_case(site)
    order = (
        site.client("cases", JA, "handler1")
        .DraftDocument(
            cpb.DraftDocumentRequest(
                request_id=rid(),
                case=case,
                type="rectification_order",
                content_json=json.dumps(
                    sample_content("rectification_order", period_days=10), ensure_ascii=False
                ),
            )
        )
        .document
    )
    order = (
        site.client("cases", JA, "handler1")
        .SubmitDocument(cpb.SubmitDocumentRequest(request_id=rid(), document=order.name))
        .document
    )
    entrustment = letter(site, JA, order.name, HS)  # drafted, approved by the head
    return case, entrustment.name


def send_entrustment(page: Page, case: str, letter_name: str) -> None:
    page.sign_in_embedded(JA, "handler1")
    page.open(f"/{case}")
    assert "暂无" in page.text("#entrustments")
    page.click(f"#doc-{letter_name.rsplit('/', 1)[1]} .send-entrustment button")
    assert page.text("#sent") == "已发送：洪山区"
    assert page.text("#entrustment-list .entrustment-state") == "待回执"
    assert not page.has(".send-entrustment")  # sent once
    page.driver.execute_script("document.getElementById('entrustments').scrollIntoView()")
    page.shot("entrustment-sent")


def open_entrustment_at_hongshan(page: Page) -> None:
    page.sign_in_embedded(HS, "handler1")
    until(
        page,
        "/",
        lambda: page.has("tr.message[data-type='service_entrustment']"),
        "the entrustment on hongshan's work list",
    )
    page.shot("entrusted-worklist")
    page.click("tr.message[data-type='service_entrustment'] a[href^='/messages/']")
    assert page.text("#message-state") == "待处理" and page.text("#message-peer") == "江岸区"


def test_art37_5_an_entrustment_is_sent_from_one_district_and_served_at_the_other(
    page: Page, site: Site, tmp_path: Path
) -> None:
    case, letter_name = entrusted_order(site)
    photo = tmp_path / "signing.jpg"
    photo.write_bytes(b"\xff\xd8\xff\xe0" + bytes(range(256)) * 32)

    send_entrustment(page, case, letter_name)
    open_entrustment_at_hongshan(page)
    page.click("#serve-entrusted")
    assert page.text("#entrustment-letter").startswith("受送达人")
    assert not page.has("#serve-method option[value='entrusted']")  # not entrusted again
    page.select("#serve-method", "direct")
    page.fill("#serve-signed-by", "王五（法定代表人）")
    page.click("#serve-button")  # no circumstances noted: Art 37(5) asks for them
    assert page.text("#error-note")
    page.shot("entrusted-serve-refused-beside-note")
    page.fill("#serve-note", "受江岸区委托，于该公司办公室直接送达，法定代表人签收")
    page.select("#evidence-0-kind", "photo")
    page.find("#evidence-0-file").send_keys(str(photo))
    page.click("#serve-button")
    assert page.text("#message-state") == "已回复" and not page.has("#entrusted-service")
    page.shot("entrusted-served")

    page.sign_in_embedded(JA, "handler1")
    until(
        page,
        f"/{case}",
        lambda: page.text("#entrustment-list .entrustment-state") == "已送达",
        "the receipt on the handling case",
    )
    records = page.text("#service-records")
    assert "委托送达" in records and "王五" in records
    assert "劳动保障监察限期改正指令书" in page.text("#entrustment-list")
    assert page.text("#ledger-verdict").startswith("校验通过")
    page.driver.execute_script("document.getElementById('entrustments').scrollIntoView()")
    page.shot("case-with-entrusted-receipt")


def test_art37_5_the_entrusted_site_refuses_and_the_handling_case_shows_why(
    page: Page, site: Site
) -> None:
    case, letter_name = entrusted_order(site)
    send_entrustment(page, case, letter_name)
    open_entrustment_at_hongshan(page)
    page.select("#refuse-reason", "recipient_unknown")
    page.click("#refuse-entrustment")  # no note of what the site found: refused
    assert page.text("#refusal .message") and page.text("#article").startswith("seed Art 37")
    page.shot("entrustment-refusal-refused")
    page.driver.back()
    page.loaded()
    page.select("#refuse-reason", "recipient_unknown")
    page.fill("#refuse-note", "送达地址无此单位，物业称该公司已于半年前迁出")
    page.click("#refuse-entrustment")
    assert page.text("#message-state") == "已回复" and not page.has("#entrusted-service")
    page.shot("entrustment-refused")

    page.sign_in_embedded(JA, "handler1")
    until(
        page,
        f"/{case}",
        lambda: page.text("#entrustment-list .entrustment-state").startswith("已退回"),
        "the refusal on the handling case",
    )
    row = page.text("#entrustment-list .entrustment")
    assert "受送达人不明" in row and "迁出" in row
    page.driver.execute_script("document.getElementById('entrustments').scrollIntoView()")
    page.shot("case-with-entrustment-refused")
