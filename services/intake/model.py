"""Intake domain (受理/立案, seed Art 7–15): complaints and reports, their materials,
the filing approval and the case number, the two-year limit (劳动保障监察条例 Art 20).
The intake's own documents (non-acceptance, supplement, jurisdiction slips) are in
documents.py. No I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from liuhen.platform.calendar import local_date
from liuhen.platform.errors import FailedPrecondition, InvalidArgument, PermissionDenied, require

if TYPE_CHECKING:
    from services.intake.documents import IntakeDocument

SOURCES = ("phone", "letter", "visit", "transfer", "assignment", "other")
# Every state an intake passes through (Art 9-15): here, in the documents' EFFECTS and
# in the messages' INBOUND; their Chinese names are the catalogue's (states.yaml).
STATES = (
    "registered", "supplement_requested", "non_acceptance_drafted", "not_accepted",
    "filing_drafted", "filed", "to_transfer", "transfer_drafted", "transferred",
    "dispute_drafted", "dispute_raised", "dispute_pending", "designation_drafted",
    "designated", "designated_elsewhere",
)  # fmt: skip
KINDS = {
    "complaint": "劳动保障监察投诉登记表",
    "construction_complaint": "劳动保障监察举报（投诉）登记表（建设领域）",
    "report": "劳动保障监察举报登记表",
}


@dataclass
class RegisterComplaint:
    """Command: register what reached the desk (Art 8–10, 12)."""

    source: str
    kind: str
    complainant_name: str
    anonymous: bool
    gender: str
    contact: str
    employer_name: str
    employer_address: str
    violation: str
    received_at: datetime
    conduct_ended_on: date | None = None  # when the conduct ended (or took place)
    reported_within_two_years: bool = False  # reported or discovered in time before
    referring_agency: str = ""  # the agency that forwarded it (转办/交办, Art 8(2), 12)


@dataclass
class Intake:
    id: str
    tenant_id: str
    source: str
    kind: str
    complainant_name: str
    anonymous: bool
    gender: str
    contact: str
    employer_name: str
    employer_address: str
    violation: str
    received_at: datetime
    registered_by: str
    state: str = "registered"
    filing_due_on: date | None = None
    filing_due_provisional: bool = False
    within_jurisdiction: bool = True
    filing_summary: str = ""
    filing_drafted_by: str = ""
    filing_approved_by: str = ""
    case_number: str = ""
    conduct_ended_on: date | None = None
    reported_within_two_years: bool = False
    time_barred: bool = False
    from_site: str = ""  # the organisation that transferred, designated or referred it
    referring_agency: str = ""  # an outside agency that forwarded it (转办/交办)
    sender_intake: str = ""  # that organisation's intake name (correlation)
    inbound_message_id: str = ""
    origin_json: str = "{}"  # the sender's slip, as it arrived
    materials: list[Material] = field(default_factory=list)
    documents: list[IntakeDocument] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.time_barred = is_time_barred(
            self.conduct_ended_on, self.received_at, self.reported_within_two_years
        )

    def receive_supplement(self) -> bool:
        """A material handed in after 告知补正 completes the complaint; True if it did."""
        if self.state != "supplement_requested":
            return False
        self.state = "registered"
        return True

    def draft_filing(self, *, user: str, within_jurisdiction: bool, summary: str) -> None:
        """The desk drafts the 立案审批表 (Art 11)."""
        if self.time_barred and within_jurisdiction:
            raise FailedPrecondition(
                "TIME_BARRED",
                "the conduct ended more than two years before anyone reported it: "
                "draft a non-acceptance decision instead",
                "违法行为在2年内未被发现、举报、投诉，不再查处，应作出不予受理决定",
                article="劳动保障监察条例 Art 20",
            )
        if self.state != "registered":
            raise FailedPrecondition(
                "FILING_ALREADY_DRAFTED",
                f"the intake is {self.state}: no filing approval form can be drafted now",
                "当前受理状态不能制作立案审批表",
                article="seed Art 11",
            )
        require(summary, "summary", "the grounds for filing", article="seed Art 11")
        self.state, self.filing_drafted_by = "filing_drafted", user
        self.within_jurisdiction, self.filing_summary = within_jurisdiction, summary

    def approve_filing(self, *, user: str, case_number: str) -> None:
        """The head approves filing; the desk numbers the case (Art 13, 15)."""
        if self.state != "filing_drafted":
            raise FailedPrecondition(
                "FILING_NOT_DRAFTED",
                "draft the filing approval form (DraftFilingApproval) before approving it",
                "须先制作立案审批表",
                article="seed Art 11",
            )
        if user in (self.filing_drafted_by, self.registered_by):
            raise PermissionDenied(
                "SEPARATION_OF_DUTIES",
                "nobody approves what they drafted or registered",
                "不得审批本人制作或登记的文书",
                article="seed Art 6",
            )
        self.filing_approved_by = user
        if not self.within_jurisdiction:
            # The head agrees the case is not ours: the desk (or the reviewer) now drafts
            # the 移送管辖单 (Art 13, 15); no filing number is given.
            self.state = "to_transfer"
            return
        self.state, self.case_number = "filed", case_number


@dataclass
class Material:
    """An item handed in, with the stamps of Art 9/10/18."""

    id: str
    intake_id: str
    tenant_id: str
    submitted_by: str
    description: str
    is_copy: bool
    checked_against_original: bool
    pages: int
    stamps: str  # newline-separated
    received_at: datetime


def check_referral(cmd: RegisterComplaint) -> None:
    """A matter another agency forwarded (转办/交办, Art 8(2), 12) names that agency, so the
    file shows where it came from and the answer can go back to it."""
    if cmd.source in ("transfer", "assignment") and not cmd.referring_agency.strip():
        raise InvalidArgument(
            "REFERRING_AGENCY_REQUIRED",
            "a transferred or assigned matter names the agency that forwarded it",
            "转办、交办件须注明转（交）办机关",
            article="seed Art 8, 12",
            field="referring_agency",
        )


def validate_registration(cmd: RegisterComplaint) -> None:
    if cmd.source not in SOURCES:
        raise InvalidArgument(
            "UNKNOWN_SOURCE",
            "source must be phone, letter, visit, transfer, assignment or other",
            "案件来源无效",
            article="seed Art 8",
            field="source",
        )
    if cmd.kind not in KINDS:
        raise InvalidArgument(
            "UNKNOWN_KIND",
            "kind must be complaint, construction_complaint or report",
            "登记表种类无效",
            article="seed Art 9, 10",
            field="kind",
        )
    if cmd.kind != "report" and (cmd.anonymous or not cmd.complainant_name):
        raise InvalidArgument(
            "COMPLAINANT_REQUIRED",
            "a complaint is made by a named worker "
            "on their own form; only a report may be anonymous",
            "投诉须由投诉人本人填写，仅举报可匿名",
            article="seed Art 9, 10",
            field="complainant.name",
        )
    require(
        cmd.employer_name, "employer.name", "the employer complained of", article="seed Art 10(1)"
    )
    require(cmd.violation, "violation", "what the employer did", article="seed Art 10(1)")


def is_time_barred(conduct_ended_on: date | None, received_at: datetime, reported: bool) -> bool:
    """Conduct that nobody discovered, reported or complained of within two years of its
    end is no longer investigated (劳动保障监察条例 Art 20): flag it for non-acceptance."""
    if conduct_ended_on is None or reported:
        return False
    try:
        limit = conduct_ended_on.replace(year=conduct_ended_on.year + 2)
    except ValueError:  # 29 February
        limit = conduct_ended_on.replace(year=conduct_ended_on.year + 2, day=28) + timedelta(1)
    return local_date(received_at) > limit


def case_number(site_zh: str, year: int, seq: int) -> str:
    """The filing number in the tenant's yearly sequence, e.g. 江岸区劳监立〔2026〕1号."""
    return f"{site_zh}劳监立〔{year}〕{seq}号"
