"""The chart's `mediaRetentionYears` reaches the media service (issue 10): a recording is
kept for the years LIUHEN_MEDIA_RETENTION_YEARS gives (Art 43: as long as its case file)."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

from services.media.model import retain_until
from tests.service.test_media import MIB, TENANT, footage, metadata, open_case, upload
from tests.support import running_site


def test_art43_the_configured_retention_is_the_media_services_default(tmp_path: Path) -> None:
    with running_site(tmp_path / "liuhen", media_retention_years=50) as site:
        case = open_case(site)
        meta = metadata(case.name)
        rec = upload(site.client("media", TENANT, "handler1"), meta, footage(1 * MIB))
    end = meta.end_time.ToDatetime(tzinfo=UTC)
    stored = rec.stored_time.ToDatetime(tzinfo=UTC)
    assert rec.retain_until == retain_until(end, 50, stored=stored).date().isoformat()
