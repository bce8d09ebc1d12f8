"""What each way of service must record (seed Art 37(1)–(6)) and the date it counts from.
No I/O here.

A service's particulars are `details` (named text fields) and `evidence` (objects stored
write-once beside the recordings: photos, videos, the postal slip, the return receipt,
call recordings, screenshots). A method missing what it requires is refused naming the
field. The date of service is per method; a public notice is deemed served when the
period of 民事诉讼法 (2023) Art 95 has passed (自发出公告之日起，经过三十日，即视为送达).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from liuhen.platform.calendar import local_date
from liuhen.platform.errors import InvalidArgument

PUBLIC_NOTICE_DAYS = 30
PUBLIC_NOTICE_SOURCE = "民事诉讼法 (2023) Art 95"
ELECTRONIC_EVIDENCE = ("call_recording", "sms", "screenshot", "screen_recording")
PHOTO_OR_VIDEO = ("photo", "video")
EVIDENCE_KINDS = frozenset(
    {*ELECTRONIC_EVIDENCE, *PHOTO_OR_VIDEO, "postal_slip", "return_receipt", "returned_mail"}
)


@dataclass(frozen=True)
class Evidence:
    """An evidence object of a service, stored in the object store before the record."""

    kind: str
    sha256: str
    object_key: str
    size: int
    content_type: str = ""
    description: str = ""


@dataclass(frozen=True)
class Needs:
    """What one method records: every field of `fields`; of each group in `one_of`, one;
    of `evidence`, one object of any of the kinds (none listed: no evidence needed)."""

    article: str
    fields: tuple[str, ...] = ()
    one_of: tuple[tuple[str, ...], ...] = ()
    evidence: tuple[str, ...] = ()


NEEDS = {
    # (1) the receipt signed by the recipient, or the refusal and why
    "direct": Needs("seed Art 37(1)", one_of=(("signed_by", "refusal"),)),
    # (2) the circumstances, the witnesses, a photo or a video (incl. posting, 张贴)
    "left_at_premises": Needs(
        "seed Art 37(2)", fields=("note", "witnesses"), evidence=PHOTO_OR_VIDEO
    ),
    # (3) the postal slip and the tracking number; the return receipt or the returned mail
    "mail": Needs(
        "seed Art 37(3)",
        fields=("tracking_number",),
        one_of=(("receipt_signed_on", "returned_reason"),),
        evidence=("postal_slip",),
    ),
    # (4) never decision documents; the time and fax number; recordings, SMS, screenshots
    "fax": Needs(
        "seed Art 37(4)", fields=("fax_number", "received_time"), evidence=ELECTRONIC_EVIDENCE
    ),
    "email": Needs(
        "seed Art 37(4)", fields=("email_address", "received_time"), evidence=ELECTRONIC_EVIDENCE
    ),
    # (5) the entrusted body and the circumstances
    "entrusted": Needs("seed Art 37(5)", fields=("entrusted_body", "note")),
    # (6) the reason, the method, the process, the notice itself and pictures of it
    "public_notice": Needs(
        "seed Art 37(6)",
        fields=("reason", "notice_method", "note", "notice_text"),
        evidence=("photo", "screenshot"),
    ),
}
# A mail service returned, or one whose return receipt is missing, needs these evidence kinds.
MAIL_OUTCOME_EVIDENCE = {"receipt_signed_on": "return_receipt", "returned_reason": "returned_mail"}


def _missing(field: str, what: str, article: str) -> InvalidArgument:
    return InvalidArgument(
        "SERVICE_DETAIL_REQUIRED",
        f"{field} is required: {what}",
        f"送达回执缺少 {field}",
        article=article,
        field=field,
    )


def check_details(
    method: str, details: Mapping[str, str], evidence: tuple[Evidence, ...], signed_by: str
) -> None:
    """Refuse a method missing what Art 37 asks of it, naming the field."""
    needs = NEEDS[method]
    have = {k for k, v in details.items() if v.strip()} | ({"signed_by"} if signed_by else set())
    for f in needs.fields:
        if f not in have:
            raise _missing(f"details.{f}", f"{method} service records it", needs.article)
    for group in needs.one_of:
        if not have & set(group):
            names = " or ".join(f"details.{g}" if g != "signed_by" else g for g in group)
            raise _missing(names, f"{method} service records one of them", needs.article)
    kinds = {e.kind for e in evidence}
    if needs.evidence and not kinds & set(needs.evidence):
        raise _missing(
            "evidence", f"{method} service keeps one of: {', '.join(needs.evidence)}", needs.article
        )
    if method == "mail":
        for f, kind in MAIL_OUTCOME_EVIDENCE.items():
            if f in have and kind not in kinds:
                raise _missing("evidence", f"{f} comes with the {kind}", needs.article)
    for e in evidence:
        if e.kind not in EVIDENCE_KINDS:
            raise InvalidArgument(
                "UNKNOWN_EVIDENCE_KIND",
                f"evidence kind {e.kind!r} is not one of {', '.join(sorted(EVIDENCE_KINDS))}",
                "送达证据类型不明",
                article="seed Art 37",
                field="evidence.kind",
            )


@dataclass(frozen=True)
class ServiceDate:
    """The date periods run from: `on`; `deemed` for a public notice; None when the service
    did not reach the recipient (mail returned)."""

    on: date | None
    deemed: bool = False
    source: str = "seed Art 37"


def _day(details: Mapping[str, str], name: str, article: str) -> date:
    value = details.get(name, "").strip()
    try:
        if "T" in value:
            return local_date(datetime.fromisoformat(value))
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidArgument(
            "BAD_DATE",
            f"details.{name} must be a date (YYYY-MM-DD) or a time (ISO 8601), not {value!r}",
            "日期格式错误",
            article=article,
            field=f"details.{name}",
        ) from None


def service_date(method: str, served_at: datetime, details: Mapping[str, str]) -> ServiceDate:
    """The signing date, the date left, the date the return receipt was signed, the date an
    electronic notice reached the recipient; a public notice: 30 days after it was posted."""
    article = NEEDS[method].article
    if method == "mail":
        if details.get("returned_reason", "").strip():
            return ServiceDate(None, source=article)
        return ServiceDate(_day(details, "receipt_signed_on", article), source=article)
    if method in ("fax", "email"):
        return ServiceDate(_day(details, "received_time", article), source=article)
    if method == "public_notice":
        deemed = local_date(served_at) + timedelta(days=PUBLIC_NOTICE_DAYS)
        return ServiceDate(deemed, deemed=True, source=PUBLIC_NOTICE_SOURCE)
    return ServiceDate(local_date(served_at), source=article)
