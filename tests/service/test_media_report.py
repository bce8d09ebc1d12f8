"""The supervision report (seed Art 47) and the scheduled off-site check (Art 41
定期异地备份) on the embedded default, over real gRPC."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta

import grpc
import pytest

from liuhen.media.v1 import media_pb2 as pb
from liuhen.platform.catalogue import sites
from liuhen.platform.polling import wait_for
from services.media.offsite import OffsiteCopier
from services.media.report_handlers import ReportScheduler
from tests.service.test_media import TENANT, footage, metadata, open_case, ts, upload
from tests.service.test_media_access import read
from tests.service.test_media_sessions import new_session, segment
from tests.support import Site, rid, status_of

CITY = "wuhan"


def period(days: int = 1) -> dict[str, object]:
    now = datetime.now(UTC)
    return {
        "period_start": ts(now - timedelta(days=days)),
        "period_end": ts(now + timedelta(days=2)),
    }


def sections(report: pb.SupervisionReport) -> dict[str, pb.ReportSection]:
    return {s.name: s for s in report.sections}


def worker(site: Site, kind: type) -> object:
    return next(w for w in site.running["media"].workers if isinstance(w, kind))


def test_art41_the_scheduled_check_finds_a_removed_offsite_copy_and_the_report_lists_it(
    site: Site,
) -> None:
    case = open_case(site)
    media = site.client("media", TENANT, "handler1")
    kept, removed = (
        upload(media, metadata(case.name), footage(64 * 1024, seed=seed)) for seed in (b"k", b"r")
    )
    reviewer = site.client("media", TENANT, "reviewer1")
    for rec in (kept, removed):
        check = reviewer.VerifyOffsiteCopy(
            pb.VerifyOffsiteCopyRequest(request_id=rid(), name=rec.name, wait_seconds=10)
        )
        assert check.check.state == pb.OFFSITE_STATE_VERIFIED
    # Whoever runs the off-site zone removes one copy.
    (site.settings.home / "objects" / "_offsite" / TENANT / "cas" / removed.sha256).unlink()

    copier = worker(site, OffsiteCopier)
    assert isinstance(copier, OffsiteCopier)
    assert copier.sweep_fixity(datetime.now(UTC) + timedelta(days=1, minutes=1)) == 2

    head = site.client("media", TENANT, "head1")
    report = head.GetSupervisionReport(pb.GetSupervisionReportRequest(**period())).report
    (found,) = sections(report)["offsite_copies"].findings
    assert found.subject == removed.name and found.detail.startswith("offsite_missing")
    assert found.case == case.name and found.case_number == case.case_number
    # The finding is in the case's ledger too (Art 45), and a second check finds it again.
    fixity = reviewer.CheckFixity(pb.CheckFixityRequest(request_id=rid(), name=removed.name))
    assert fixity.state == pb.FIXITY_STATE_OFFSITE_MISSING


def test_art47_the_report_lists_late_storage_and_every_section_is_computed(
    site: Site,
) -> None:
    case = open_case(site)
    media = site.client("media", TENANT, "handler1")
    late = upload(media, metadata(case.name, ended=timedelta(days=3)), footage(64 * 1024))
    upload(media, metadata(case.name), footage(64 * 1024, seed=b"on time"))

    report = (
        site.client("media", TENANT, "head1")
        .GetSupervisionReport(pb.GetSupervisionReportRequest(**period()))
        .report
    )
    assert report.site == TENANT and report.recordings == 2
    by_name = sections(report)
    assert [f.subject for f in by_name["late_storage"].findings] == [late.name]
    assert by_name["late_storage"].article == "seed Art 41"
    assert by_name["ledger_chains"].available and not by_name["ledger_chains"].findings
    assert report.ledger_chains >= 1  # the case's chain, verified
    for name in ("missing_footage", "unexplained_interruptions", "unapproved_access"):
        assert by_name[name].available and not by_name[name].findings


def test_art47_the_report_lists_a_session_without_footage_and_an_unexplained_gap(
    site: Site,
) -> None:
    case = open_case(site)
    t0 = datetime.now(UTC) - timedelta(hours=3)
    bare = new_session(site, case.name, t0)
    gapped = new_session(site, case.name, t0 + timedelta(minutes=90))
    segment(site, case.name, gapped.name, t0 + timedelta(minutes=90), t0 + timedelta(minutes=100))

    report = (
        site.client("media", TENANT, "head1")
        .GetSupervisionReport(pb.GetSupervisionReportRequest(**period()))
        .report
    )
    by_name = sections(report)
    assert [f.subject for f in by_name["missing_footage"].findings] == [bare.name]
    (gap,) = by_name["unexplained_interruptions"].findings
    assert gap.subject == gapped.name and gap.case == case.name
    assert by_name["unexplained_interruptions"].article == "seed Art 26"


def test_art47_an_unapproved_look_in_the_register_is_a_finding(site: Site) -> None:
    """The services refuse a copy without approval; the report shows it from the
    register itself: a line written there behind their back is a finding, a reviewer's
    direct look is not (Art 44, 47(2))."""
    case = open_case(site)
    rec = upload(site.client("media", TENANT, "handler1"), metadata(case.name), footage(64 * 1024))
    read(site.client("media", TENANT, "reviewer1"), rec.name, length=100)
    with sqlite3.connect(site.settings.home / "liuhen.db") as db:
        db.execute(
            "INSERT INTO media_access_register SELECT 'forged', tenant_id, case_id, "
            "recording_id, 'copy', 'handler1', actor_name, requester_name, copier_name, "
            "approvers, reason, at, '', \"offset\", length, sha256, ledger_hash "
            "FROM media_access_register WHERE tenant_id = ?",
            (TENANT,),
        )
    report = (
        site.client("media", TENANT, "head1")
        .GetSupervisionReport(pb.GetSupervisionReportRequest(**period()))
        .report
    )
    (found,) = sections(report)["unapproved_access"].findings
    assert found.subject == rec.name and found.case == case.name
    assert found.detail == "copy by handler1 with no access request"


def test_art45_a_ledger_chain_changed_behind_the_services_back_is_a_finding(site: Site) -> None:
    case = open_case(site)
    case_id = case.name.split("/")[1]
    with sqlite3.connect(site.settings.home / "liuhen.db") as db:
        db.execute(
            "UPDATE platform_ledger SET action = 'case.nothing_happened' "
            "WHERE tenant_id = ? AND case_id = ? AND seq = 1",
            (TENANT, case_id),
        )
    report = (
        site.client("media", TENANT, "reviewer1")
        .GetSupervisionReport(pb.GetSupervisionReportRequest(**period()))
        .report
    )
    (bad,) = sections(report)["ledger_chains"].findings
    assert bad.subject == f"ledgers/{case_id}" and "altered" in bad.detail


def test_art47_a_handler_may_not_read_the_report_and_a_period_must_be_forward(
    site: Site,
) -> None:
    with pytest.raises(grpc.RpcError) as denied:
        site.client("media", TENANT, "handler1").GetSupervisionReport(
            pb.GetSupervisionReportRequest(**period())
        )
    assert denied.value.code() == grpc.StatusCode.PERMISSION_DENIED
    now = datetime.now(UTC)
    with pytest.raises(grpc.RpcError) as backwards:
        site.client("media", TENANT, "head1").GetSupervisionReport(
            pb.GetSupervisionReportRequest(period_start=ts(now), period_end=ts(now))
        )
    assert status_of(backwards.value)[:2] == (grpc.StatusCode.INVALID_ARGUMENT, "BAD_PERIOD")


def test_art47_a_district_sends_its_report_on_request_and_the_city_lists_it(site: Site) -> None:
    case = open_case(site)
    upload(
        site.client("media", TENANT, "handler1"),
        metadata(case.name, ended=timedelta(days=3)),
        footage(64 * 1024),
    )
    sent = site.client("media", TENANT, "head1").SendSupervisionReport(
        pb.SendSupervisionReportRequest(request_id=rid(), **period())
    )
    assert sent.message_id and len(sections(sent.report)["late_storage"].findings) == 1

    city = site.client("media", CITY, "supervisor1")

    def arrived() -> list[pb.ReceivedSupervisionReport]:
        reports = city.ListReceivedSupervisionReports(
            pb.ListReceivedSupervisionReportsRequest(sender=TENANT)
        ).reports
        return [r for r in reports if r.message_id == sent.message_id]

    (got,) = wait_for(arrived, "the city to receive jiangan's report")
    assert got.sender == TENANT
    assert got.report == sent.report  # the city sees what the district sent, as sent


def test_art47_the_city_does_not_send_and_a_district_has_no_districts_reports(
    site: Site,
) -> None:
    with pytest.raises(grpc.RpcError) as city_sends:
        site.client("media", CITY, "head1").SendSupervisionReport(
            pb.SendSupervisionReportRequest(request_id=rid(), **period())
        )
    assert status_of(city_sends.value)[:2] == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "CITY_REPORT_NOT_SENT",
    )
    with pytest.raises(grpc.RpcError) as district_lists:
        site.client("media", TENANT, "head1").ListReceivedSupervisionReports(
            pb.ListReceivedSupervisionReportsRequest()
        )
    assert status_of(district_lists.value)[:2] == (
        grpc.StatusCode.FAILED_PRECONDITION,
        "NOT_THE_CITY",
    )


def test_art47_the_schedule_sends_every_districts_report_once_per_period(site: Site) -> None:
    scheduler = worker(site, ReportScheduler)
    assert isinstance(scheduler, ReportScheduler)
    districts = [s for s, v in sites().items() if v.level == "district"]
    # A clock far from the wall clock: no period the worker's own round has sent.
    later = datetime.now(UTC) + timedelta(days=70)
    assert scheduler.run_once(later) == len(districts)
    assert scheduler.run_once(later + timedelta(minutes=1)) == 0  # the same period: sent

    city = site.client("media", CITY, "supervisor1")

    def received() -> set[str]:
        reports = city.ListReceivedSupervisionReports(
            pb.ListReceivedSupervisionReportsRequest(page_size=100)
        ).reports
        return {r.sender for r in reports if r.report.period_end.ToDatetime(tzinfo=UTC) < later}

    wait_for(lambda: received() >= set(districts), "every district's scheduled report")
    first = city.ListReceivedSupervisionReports(
        pb.ListReceivedSupervisionReportsRequest(page_size=5)
    )
    rest = city.ListReceivedSupervisionReports(
        pb.ListReceivedSupervisionReportsRequest(page_size=100, page_token=first.next_page_token)
    )
    ids = [r.message_id for r in [*first.reports, *rest.reports]]
    assert len(first.reports) == 5 and len(ids) == len(set(ids)) >= len(districts)


def test_art47_liuhen_report_prints_the_sections_as_a_table_and_as_json(
    site: Site, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from liuhen.cli.main import main

    case = open_case(site)
    late = upload(
        site.client("media", TENANT, "handler1"),
        metadata(case.name, ended=timedelta(days=3)),
        footage(64 * 1024),
    )
    monkeypatch.setenv("LIUHEN_HOME", str(site.settings.home))
    for service, port in site.settings.ports.items():
        monkeypatch.setenv(f"LIUHEN_{service.upper()}_PORT", str(port))

    assert main(["report", "show", "--tenant", TENANT, "--days", "1"]) == 1  # a finding
    shown = capsys.readouterr().out
    assert "未在2日内储存的音、视频记录 (late_storage, seed Art 41): 1 finding(s)" in shown
    assert late.name in shown and case.case_number in shown
    assert "未说明原因的中断 (unexplained_interruptions, seed Art 26): none" in shown

    assert main(["report", "show", "--tenant", TENANT, "--days", "1", "--json"]) == 1
    data = json.loads(capsys.readouterr().out)
    by_name = {s["name"]: s for s in data["sections"]}
    assert by_name["late_storage"]["findings"][0]["subject"] == late.name
