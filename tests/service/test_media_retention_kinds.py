"""Footage used as evidence is kept as long as its case file (seed Art 43): the periods
are data by case kind (catalog/retention.yaml), a deployment's own periods come through
LIUHEN_RETENTION_YEARS (the chart's `config.retention.kinds`)."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import pytest
import yaml

from liuhen.cases.v1 import cases_pb2 as cpb
from liuhen.platform.config import ConfigError, Settings
from liuhen.platform.printing import retention
from services.media.model import AssignedCase, Labels, retain_until, retention_years
from tests.service.test_media import MIB, TENANT, footage, metadata, open_case, upload
from tests.support import rid, running_site

ROOT = Path(__file__).resolve().parents[2]


def _years(rec, meta) -> int:  # type: ignore[no-untyped-def]
    end = meta.end_time.ToDatetime(tzinfo=UTC)
    stored = rec.stored_time.ToDatetime(tzinfo=UTC)
    for years in range(1, 201):
        if rec.retain_until == retain_until(end, years, stored=stored).date().isoformat():
            return years
    raise AssertionError(f"retain_until {rec.retain_until} is no whole number of years")


def test_art43_a_major_cases_footage_is_kept_as_the_deployment_says_major_files_are(
    tmp_path: Path,
) -> None:
    with running_site(
        tmp_path / "liuhen", media_retention_years=30, retention_years_by_kind={"major": 60}
    ) as site:
        ordinary, major = open_case(site), open_case(site)
        site.client("cases", TENANT, "head1").MarkCase(
            cpb.MarkCaseRequest(
                request_id=rid(), case=major.name, major=True, av_reasons=["major_or_complex"]
            )
        )
        media = site.client("media", TENANT, "handler1")
        kept = {}
        for case in (ordinary, major):
            meta = metadata(case.name)
            kept[case.name] = _years(upload(media, meta, footage(1 * MIB)), meta)
    assert kept == {ordinary.name: 30, major.name: 60}


def _case(major: bool) -> AssignedCase:
    return AssignedCase("c", Labels("n", "p", "h"), "u", major=major)


def test_art43_without_a_deployment_period_a_major_case_is_permanent_in_the_catalogue() -> None:
    assert retention.catalogue_years("major") is None  # 永久
    permanent = retention.lock_years_for(None)
    assert retention_years(_case(True), 30, {}) == permanent == 100
    assert retention_years(_case(False), 30, {}) == 30
    # never shorter than the default term, whatever a deployment says
    assert retention_years(_case(True), 30, {"major": 10}) == 30


@pytest.mark.parametrize("value", ["major=0", "major=ten", "nosuchkind=10", "major", "major=1001"])
def test_art43_a_period_that_is_not_years_of_a_known_kind_stops_the_service(value: str) -> None:
    with pytest.raises(ConfigError, match="LIUHEN_RETENTION_YEARS"):
        Settings.from_env({"LIUHEN_RETENTION_YEARS": value})


def test_art43_the_charts_default_periods_are_the_catalogues() -> None:
    values = yaml.safe_load((ROOT / "deploy" / "helm" / "liuhen" / "values.yaml").read_text())
    table = values["config"]["retention"]
    # as the chart renders LIUHEN_RETENTION_YEARS (templates/_helpers.tpl)
    rendered = ",".join(f"{k}={v}" for k, v in sorted(table["kinds"].items()))
    parsed = Settings.from_env({"LIUHEN_RETENTION_YEARS": rendered}).retention_years_by_kind
    assert parsed == {k: retention.catalogue_years(k) for k in retention.kinds()}
    assert table["defaultYears"] == retention.default_years()
