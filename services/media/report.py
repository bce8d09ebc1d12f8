"""The supervision report of the audio/video record (seed Art 47), as data: what it
lists and how, with no I/O. `report_handlers` gathers the rows; this module judges
them and gives the report its shape.

Art 47 holds a bureau to account for (一) not making the record or not as required and
(二) leaking it; the report lists what proves either: activities without required
footage, footage stored late (Art 41: 2日内), unexplained interruptions (Art 26),
off-site copies missing or different (Art 41 定期异地备份, Art 45), recordings viewed
or copied without approval (Art 44, 46) and ledger chains that fail to verify (Art 45).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from liuhen.platform.errors import InvalidArgument

MAX_PERIOD = timedelta(days=366)  # one report covers at most a year


@dataclass(frozen=True)
class SectionSpec:
    name: str
    title_zh: str
    article: str


# The sections, in the order the report prints them.
MISSING_FOOTAGE = SectionSpec("missing_footage", "应记录而未记录的执法活动", "seed Art 23, 47(1)")
LATE_STORAGE = SectionSpec("late_storage", "未在2日内储存的音、视频记录", "seed Art 41")
UNEXPLAINED = SectionSpec("unexplained_interruptions", "未说明原因的中断", "seed Art 26")
OFFSITE = SectionSpec("offsite_copies", "异地备份缺失或不一致", "seed Art 41, 45")
UNAPPROVED = SectionSpec("unapproved_access", "未经审批的调阅、复制", "seed Art 44, 46, 47(2)")
LEDGER = SectionSpec("ledger_chains", "未通过校验的记录链", "seed Art 45")
SECTIONS = (MISSING_FOOTAGE, LATE_STORAGE, UNEXPLAINED, OFFSITE, UNAPPROVED, LEDGER)

# What a section says when the site that computed the report had no source for it (a
# district still running a version from before the section existed sends such reports).
NOT_COMPUTED = "not computed by the reporting site's version"


@dataclass(frozen=True)
class Finding:
    subject: str
    case_id: str = ""
    case_number: str = ""
    detail: str = ""
    time: datetime | None = None


@dataclass(frozen=True)
class Section:
    spec: SectionSpec
    available: bool
    findings: tuple[Finding, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class Report:
    site: str
    period_start: datetime
    period_end: datetime
    generated_at: datetime
    sections: tuple[Section, ...]
    recordings: int = 0
    ledger_chains: int = 0

    def section(self, name: str) -> Section:
        return next(s for s in self.sections if s.spec.name == name)

    @property
    def clean(self) -> bool:
        """Nothing found in any section that could be computed."""
        return not any(s.findings for s in self.sections)


@dataclass(frozen=True)
class LateRecording:
    """What the report needs of a recording stored late."""

    recording: str  # cases/{case}/recordings/{id}
    case_id: str
    case_number: str
    end_time: datetime
    stored_at: datetime


@dataclass(frozen=True)
class CopyFinding:
    """A finding of the copier or of a fixity check (report_orm.FixityFinding)."""

    recording: str
    case_id: str
    state: str
    detail: str
    found_at: datetime


@dataclass(frozen=True)
class ChainCheck:
    """One ledger chain's verification (liuhen.platform.ledger.Verification)."""

    case_id: str
    ok: bool
    first_bad_seq: int = 0
    detail: str = ""


@dataclass(frozen=True)
class Gathered:
    """What `report_handlers` read for one site and period. A section the site has no
    source for is None (its section is then not available), never an empty list."""

    recordings: int
    late: Sequence[LateRecording]
    copy_findings: Sequence[CopyFinding]
    chains: Sequence[ChainCheck]
    missing_footage: Sequence[Finding] | None = None
    unexplained: Sequence[Finding] | None = None
    unapproved: Sequence[Finding] | None = None
    case_numbers: Mapping[str, str] = field(default_factory=dict)


def check_period(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    """A report covers [start, end): both given, start before end, at most a year."""
    if start is None or end is None:
        name = "period_start" if start is None else "period_end"
        raise InvalidArgument(
            "MISSING_FIELD", f"{name} is required", f"缺少必填项 {name}", field=name
        )
    if end <= start or end - start > MAX_PERIOD:
        raise InvalidArgument(
            "BAD_PERIOD",
            "period_end must be after period_start, and a report covers at most 366 days",
            "报告期间无效：结束须晚于开始，且不超过366日",
            article="seed Art 47",
            field="period_end",
        )
    return start, end


def late_findings(late: Iterable[LateRecording]) -> list[Finding]:
    return [
        Finding(
            subject=r.recording,
            case_id=r.case_id,
            case_number=r.case_number,
            detail=f"stored {_days(r.stored_at - r.end_time)} after recording ended",
            time=r.stored_at,
        )
        for r in late
    ]


def _days(delta: timedelta) -> str:
    return f"{delta.total_seconds() / 86400:.1f} days"


def copy_findings(found: Iterable[CopyFinding], numbers: Mapping[str, str]) -> list[Finding]:
    return [
        Finding(
            subject=f.recording,
            case_id=f.case_id,
            case_number=numbers.get(f.case_id, ""),
            detail=f"{f.state}: {f.detail}",
            time=f.found_at,
        )
        for f in found
    ]


def chain_findings(chains: Iterable[ChainCheck], numbers: Mapping[str, str]) -> list[Finding]:
    return [
        Finding(
            subject=f"ledgers/{c.case_id}",
            case_id=c.case_id,
            case_number=numbers.get(c.case_id, ""),
            detail=f"entry {c.first_bad_seq}: {c.detail}",
        )
        for c in chains
        if not c.ok
    ]


def _section(spec: SectionSpec, findings: Sequence[Finding] | None) -> Section:
    if findings is None:
        return Section(spec, available=False, note=NOT_COMPUTED)
    return Section(spec, available=True, findings=tuple(findings))


def build(site: str, start: datetime, end: datetime, now: datetime, gathered: Gathered) -> Report:
    numbers = gathered.case_numbers
    return Report(
        site=site,
        period_start=start,
        period_end=end,
        generated_at=now,
        recordings=gathered.recordings,
        ledger_chains=len(gathered.chains),
        sections=(
            _section(MISSING_FOOTAGE, gathered.missing_footage),
            _section(LATE_STORAGE, late_findings(gathered.late)),
            _section(UNEXPLAINED, gathered.unexplained),
            _section(OFFSITE, copy_findings(gathered.copy_findings, numbers)),
            _section(UNAPPROVED, gathered.unapproved),
            _section(LEDGER, chain_findings(gathered.chains, numbers)),
        ),
    )


# --- the report as JSON (the message to the city, and `liuhen report --json`) ---------


def _iso(value: datetime | None) -> str:
    return value.isoformat() if value is not None else ""


def _when(value: str) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def to_json(report: Report) -> dict[str, Any]:
    return {
        "site": report.site,
        "period_start": _iso(report.period_start),
        "period_end": _iso(report.period_end),
        "generated_time": _iso(report.generated_at),
        "recordings": report.recordings,
        "ledger_chains": report.ledger_chains,
        "sections": [
            {
                "name": s.spec.name,
                "title_zh": s.spec.title_zh,
                "article": s.spec.article,
                "available": s.available,
                "note": s.note,
                "findings": [
                    {
                        "subject": f.subject,
                        "case_id": f.case_id,
                        "case_number": f.case_number,
                        "detail": f.detail,
                        "time": _iso(f.time),
                    }
                    for f in s.findings
                ],
            }
            for s in report.sections
        ],
    }


def from_json(data: Mapping[str, Any]) -> Report:
    """A report as a district sent it; a section the city does not know keeps its name."""
    specs = {s.name: s for s in SECTIONS}
    sections = tuple(
        Section(
            spec=specs.get(s["name"], SectionSpec(s["name"], s["title_zh"], s["article"])),
            available=bool(s["available"]),
            note=str(s.get("note", "")),
            findings=tuple(
                Finding(
                    subject=f["subject"],
                    case_id=f.get("case_id", ""),
                    case_number=f.get("case_number", ""),
                    detail=f.get("detail", ""),
                    time=_when(f.get("time", "")),
                )
                for f in s["findings"]
            ),
        )
        for s in data["sections"]
    )
    start, end, made = (
        _when(data["period_start"]),
        _when(data["period_end"]),
        _when(data["generated_time"]),
    )
    if start is None or end is None or made is None:
        raise ValueError("a supervision report names its period and when it was made")
    return Report(
        site=data["site"],
        period_start=start,
        period_end=end,
        generated_at=made,
        sections=sections,
        recordings=int(data.get("recordings", 0)),
        ledger_chains=int(data.get("ledger_chains", 0)),
    )


def scheduled_period(
    now: datetime, interval: timedelta, epoch: datetime
) -> tuple[datetime, datetime]:
    """The last whole period before `now`, periods being `interval` long from `epoch`:
    the one the schedule reports on (the same for every replica, so sent once)."""
    periods = (now - epoch) // interval
    end = epoch + periods * interval
    return end - interval, end
