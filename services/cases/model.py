"""Cases domain (Art 16–36): the case, its people, and who may act on its documents (the
workflow itself is the platform's, liuhen/platform/documents.py). No I/O here.

Three-way separation (Art 6, roles.yaml) is per case: whoever registered the intake may
not handle or review it; the handler may not review, approve or archive its documents;
the reviewer may not be the handler; nobody approves a document they drafted.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from liuhen.platform.catalogue import DocumentType
from liuhen.platform.documents import ART6, Workflow, separation
from liuhen.platform.errors import FailedPrecondition, InvalidArgument, PermissionDenied, require

# Art 23: recording is mandatory where (1) review, litigation, complaint or petition is
# likely; (2) someone obstructs the officers; (3) the case is major or complex; (4) a law
# requires it.
AV_GROUNDS = {
    "review_or_litigation": "可能引发行政复议、诉讼、投诉或者上访",
    "obstruction": "当事人或者现场其他人员阻挠执法、妨碍公务",
    "major_or_complex": "案情重大复杂",
    "required_by_law": "法律、法规、规章规定",
}


@dataclass
class Case:
    id: str
    tenant_id: str
    case_number: str
    party: str
    party_address: str
    complainant: str
    registered_by: str
    filed_at: datetime
    state: str = "open"
    handler: str = ""
    handler_name: str = ""
    reviewer: str = ""
    filing_drafted_by: str = ""  # the 立案审批表's author (接待部门或立案部门, Art 11)
    filing_approved_by: str = ""  # the head who approved filing it (Art 11, 15)
    major: bool = False  # 重大违法行为 / 情况复杂: legal review and collective discussion (Art 34)
    av_reasons: str = ""  # the Art 23 grounds that make audio/video mandatory, comma-separated

    @property
    def intake_side(self) -> frozenset[str]:
        """Who took the matter in (接待受理, Chapter 2 "受理（立案）"): the intake officer,
        the filing approval's author and the head who approved filing it. Art 6 keeps
        them out of handling (办理) and review (审理) of the case (docs/separation.md)."""
        people = (self.registered_by, self.filing_drafted_by, self.filing_approved_by)
        return frozenset(p for p in people if p)

    @property
    def av_required(self) -> bool:
        return bool(self.av_reasons)

    def mark(self, *, av_reasons: Iterable[str], major: bool) -> None:
        """Say why recordings are mandatory (Art 23) and whether the case is major (Art 34)."""
        reasons = sorted(set(av_reasons))
        for r in reasons:
            if r not in AV_GROUNDS:
                raise InvalidArgument(
                    "UNKNOWN_AV_GROUND",
                    f"{r!r} is not a ground of Art 23: {', '.join(AV_GROUNDS)}",
                    "不是第二十三条规定的情形",
                    article="seed Art 23",
                    field="av_reasons",
                )
        self.av_reasons, self.major = ",".join(reasons), major

    def assign(self, *, handler: str, handler_name: str, reviewer: str) -> None:
        """The head hands the case to its handler (承办人, Art 15) and reviewer."""
        if self.state != "open":
            raise FailedPrecondition(
                "ALREADY_ASSIGNED",
                f"the case is already {self.state}",
                "案件已分配承办人",
                article="seed Art 15",
            )
        if handler in self.intake_side:
            raise separation(
                "whoever took the matter in (registered it, drafted or approved its filing) "
                "may not handle the case",
                "接待受理（含立案审批）人员不得办理同一案件",
            )
        if reviewer and (reviewer == handler or reviewer in self.intake_side):
            raise separation(
                "the reviewer may be neither the handler nor whoever took the matter in",
                "审理人员不得为本案承办或接待受理（含立案审批）人员",
            )
        self.handler, self.handler_name, self.reviewer = handler, handler_name, reviewer
        self.state = "investigating"

    def require_handler(self, user: str, action: str) -> None:
        if not self.handler:
            raise FailedPrecondition(
                "NO_HANDLER",
                f"{action}: assign a handler first (AssignHandler)",
                "须先指定承办人",
                article="seed Art 15",
            )
        if user != self.handler:
            raise PermissionDenied(
                "NOT_THE_HANDLER",
                f"{action}: only the case's handler (案件首办责任人) may do this",
                "仅本案承办人可办理",
                article="seed Art 16, 41",
            )


@dataclass
class Document(Workflow):
    """A case's document; its workflow is the platform's (liuhen/platform/documents.py)."""

    id: str
    case_id: str
    tenant_id: str
    type: str
    version: int
    state: str
    content_json: str
    content_sha256: str
    drafted_by: str
    drafted_role: str
    chain: str  # roles still to act, comma-separated, in order
    approvals: str  # "role:user" given, newline-separated
    from_site: str
    drafted_at: datetime
    effective_at: datetime | None = None
    supersedes: str = ""  # id of the version this one corrects


def check_reviewer(case: Case, doc: Document, user: str) -> None:
    """Only the case's reviewer reviews its documents, never its handler, drafter or
    intake officer (Art 6)."""
    if user in (doc.drafted_by, case.handler) or user in case.intake_side:
        raise separation(
            "the handler, the drafter and whoever took the matter in may not review it",
            "承办、制作、接待人员不得审理本案",
        )
    if case.reviewer and user != case.reviewer:
        raise PermissionDenied(
            "NOT_THE_REVIEWER",
            "only the case's reviewer may review",
            "仅本案审理人员可审理",
            article=ART6,
        )


def check_approver(case: Case, user: str) -> None:
    if user in (case.handler, case.registered_by):
        raise separation(
            "the handler and the intake officer may not approve the case's documents",
            "承办、接待人员不得审批本案文书",
        )


def check_drafter(case: Case, role: str, user: str, doc_type: DocumentType) -> None:
    if user == case.registered_by:
        raise separation(
            "whoever registered the intake may not handle or review the case",
            "接待受理人员不得办理或审理同一案件",
        )
    if role == "handler":
        case.require_handler(user, f"drafting {doc_type.code}")
        return
    if user == case.handler:
        raise separation(
            "the handler may not review, decide or archive the case's documents",
            "承办人不得审理、审批本案文书",
        )
    if role == "reviewer" and case.reviewer and user != case.reviewer:
        raise PermissionDenied(
            "NOT_THE_REVIEWER",
            "only the case's reviewer acts for the review department on it",
            "仅本案审理人员可办理",
            article=ART6,
        )


@dataclass(frozen=True)
class Officer:
    name: str
    unit: str
    certificate_no: str


def validate_interview(
    officers: list[Officer],
    certificates_shown: bool,
    start: datetime | None,
    end: datetime | None,
    place: str,
    interviewee: str,
) -> None:
    """The interview record names the officers' unit, names and certificate numbers,
    that certificates were shown, and the time and place (Art 16); two officers at
    least (劳动保障监察条例 Art 16)."""
    art = "seed Art 16"
    if len(officers) < 2:
        raise InvalidArgument(
            "TWO_OFFICERS_REQUIRED",
            "an investigation needs at least two officers",
            "调查询问执法人员不得少于两人",
            article=art,
            field="officers",
        )
    for i, o in enumerate(officers):
        for attr in ("name", "unit", "certificate_no"):
            require(getattr(o, attr), f"officers[{i}].{attr}", article=art)
    if not certificates_shown:
        raise InvalidArgument(
            "CERTIFICATES_NOT_SHOWN",
            "the record must state that the officers showed their certificates",
            "应记录出示执法证件",
            article=art,
            field="certificates_shown",
        )
    if start is None or end is None or end < start:
        raise InvalidArgument(
            "BAD_TIME",
            "start and end time are required, end after start",
            "须记录询问起止时间",
            article=art,
            field="start_time",
        )
    require(place, "place", article=art)
    require(interviewee, "interviewee", article=art)


def interview_content(
    officers: list[Officer],
    fields: Mapping[str, object],
    *,
    start: datetime | None,
    end: datetime | None,
) -> str:
    """The interview record's fields once they pass the checks of Art 16, as JSON."""
    validate_interview(
        officers,
        bool(fields["certificates_shown"]),
        start,
        end,
        str(fields["place"]),
        str(fields["interviewee"]),
    )
    content = {
        **{k: v.isoformat() if isinstance(v, datetime) else str(v) for k, v in fields.items()},
        "officers": [o.__dict__ for o in officers],
        "certificates_shown": True,
    }
    return json.dumps(content, ensure_ascii=False)
