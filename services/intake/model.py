"""Intake domain (受理/立案, seed Art 7–15): complaints and reports, their materials,
the filing approval and the case number. No I/O here."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from liuhen.platform.errors import FailedPrecondition, InvalidArgument, PermissionDenied, require

SOURCES = ("phone", "letter", "visit", "transfer", "assignment", "other")
KINDS = {
    "complaint": "劳动保障监察投诉登记表",
    "construction_complaint": "劳动保障监察举报（投诉）登记表（建设领域）",
    "report": "劳动保障监察举报登记表",
}
SUBMITTERS = {"complainant": "投诉人", "reporter": "举报人", "employer": "被监察单位"}
COPY_STAMP = "经核对，原件与复印件一致"


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
    materials: list[Material] = field(default_factory=list)

    def draft_filing(self, *, user: str, within_jurisdiction: bool, summary: str) -> None:
        """The desk drafts the 立案审批表 (Art 11)."""
        if self.state != "registered":
            raise FailedPrecondition(
                "FILING_ALREADY_DRAFTED",
                f"the filing approval form is already {self.state}",
                "立案审批表已制作",
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
        if not self.within_jurisdiction:
            raise FailedPrecondition(
                "NOT_WITHIN_JURISDICTION",
                "this organisation has no jurisdiction: transfer the case instead",
                "不属本机构管辖，应移送管辖",
                article="seed Art 13, 15",
            )
        self.state, self.filing_approved_by, self.case_number = "filed", user, case_number


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


def stamps_for(*, submitted_by: str, day: date, is_copy: bool, checked: bool) -> list[str]:
    """The stamp texts of Art 9, 10 and 18: "  年 月 日投诉人提交资料", plus
    "经核对，原件与复印件一致" on a copy, which must have been checked."""
    if submitted_by not in SUBMITTERS:
        raise InvalidArgument(
            "UNKNOWN_SUBMITTER",
            "submitted_by must be complainant, reporter or employer",
            "提交人无效",
            article="seed Art 9, 18",
            field="submitted_by",
        )
    if is_copy and not checked:
        raise InvalidArgument(
            "COPY_NOT_CHECKED",
            "a copy is accepted only once checked against the original",
            "复印资料须经核对原件",
            article="seed Art 9",
            field="checked_against_original",
        )
    stamps = [f"{day.year}年{day.month}月{day.day}日{SUBMITTERS[submitted_by]}提交资料"]
    if is_copy:
        stamps.append(COPY_STAMP)
    return stamps


def case_number(site_zh: str, year: int, seq: int) -> str:
    """The filing number in the tenant's yearly sequence, e.g. 江岸区劳监立〔2026〕1号."""
    return f"{site_zh}劳监立〔{year}〕{seq}号"
