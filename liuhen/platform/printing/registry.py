"""Prints: the 文号 and verification code a document gets when it takes effect, the sheet
it prints from, and its PDF's SHA-256 in the case's ledger (seed Art 41, 45; DESIGN §4).

A print is written in the transaction that makes the document effective: its number,
its sheet (everything the PDF shows) and the ledger entry `document.effective`, which
commits to the sheet's SHA-256. The PDF is rendered after that commit, outside any
transaction and lock (`finish`): rendering was most of an approval's time, and inside
the transaction it held the tenant's numbering locks (docs/performance.md). `finish`
then records the PDF's SHA-256 on the print (once: migration 0020) with a ledger entry
`document.printed` that commits to the sheet's and the PDF's hashes, and the bytes are
stored write-once in the object store beside the recordings (`store`). A crash between
the commit and `finish` loses nothing: the sheet renders again to the same bytes, and
the next `finish` of the print (a store after a retried call, a download, or each
service's periodic pass, `finish_pending`) completes it."""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any, Protocol

from sqlalchemy import BigInteger, Integer, String, Text, UniqueConstraint, func, select
from sqlalchemy.orm import Mapped, mapped_column

from liuhen.platform import ledger
from liuhen.platform.auth import Principal
from liuhen.platform.catalogue import HERE
from liuhen.platform.db import Base, Database, UnitOfWork, UtcDateTime
from liuhen.platform.ports import ObjectExists, ObjectNotFound, ObjectStore
from liuhen.platform.printing import documents, retention
from liuhen.platform.printing.forms import FieldRow, Sheet, Signature, day_zh, form, format_number
from liuhen.platform.printing.forms import local as local_time
from liuhen.platform.printing.forms import sheet as make_sheet

EFFECTIVE = "document.effective"
PRINTED = "document.printed"
PRINTER = {
    "user_id": "service:liuhen-printing",
    "username": "liuhen-printing",
    "name": "文书打印 document printing",
    "role": "service",
    "certificate_no": "",
}
# The steps that sign a document, as the last part of a ledger action: cases write
# `document.approved`, `interview.recorded`; intake `non_acceptance_decision.approved`,
# `filing_approval.drafted` (the line each prints as: roles.yaml).
SIGNING = {"drafted", "reviewed", "approved", "recorded", "received", "served"}
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class PrintRow(Base):
    __tablename__ = "platform_prints"
    __table_args__ = (UniqueConstraint("tenant_id", "series", "year", "seq"),)
    tenant_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    document: Mapped[str] = mapped_column(String(200), primary_key=True)
    case_id: Mapped[str] = mapped_column(String(64), index=True)
    type: Mapped[str] = mapped_column(String(64))
    series: Mapped[str] = mapped_column(String(32))
    year: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int | None] = mapped_column(Integer, nullable=True)
    number: Mapped[str] = mapped_column(String(64))
    code: Mapped[str] = mapped_column(String(16), index=True)
    sheet_json: Mapped[str] = mapped_column(Text)
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    object_key: Mapped[str] = mapped_column(String(300))
    ledger_seq: Mapped[int] = mapped_column(BigInteger)
    ledger_hash: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime())


@dataclass(frozen=True)
class Subject:
    """What a print needs to know of the document and its case."""

    case_id: str  # the ledger's subject (an intake and its case share the id)
    document: str  # resource name
    type: str
    content: Mapping[str, Any]
    content_sha256: str
    case_number: str
    addressee: str
    issued: datetime
    extra_rows: Sequence[FieldRow] = ()


def verification_code(tenant: str, document: str) -> str:
    """Ten Crockford base-32 characters (50 bits) from the tenant and the document's name,
    so it is known before the PDF that prints it exists: K7QM-2XPA-9D."""
    digest = hashlib.sha256(f"{tenant}/{document}".encode()).digest()
    bits = int.from_bytes(digest[:7], "big") >> 6
    chars = "".join(CROCKFORD[(bits >> (5 * i)) & 31] for i in reversed(range(10)))
    return f"{chars[:4]}-{chars[4:8]}-{chars[8:]}"


def normalise_code(code: str) -> str:
    raw = code.strip().upper().replace("-", "").translate(str.maketrans("OIL", "011"))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}" if len(raw) == 10 else code.strip().upper()


def object_key(document: str) -> str:
    return f"prints/{document}.pdf"


@cache
def role_names() -> Mapping[str, str]:
    """Each role's printed name (roles.yaml), read once per process: parsing it on every
    print cost 2% of an approval's time, inside its transaction (docs/performance.md)."""
    import yaml

    roles = yaml.safe_load((HERE / "roles.yaml").read_text("utf-8"))["roles"]
    return {r: str(v["zh"]).split(" / ")[0] for r, v in roles.items()}


def signatures(entries: Iterable[ledger.Entry], content_sha256: str) -> list[Signature]:
    """Who drafted, reviewed and approved the document, with the day of each step, from
    the case's ledger (the entries that carry the document's content hash)."""
    names = role_names()
    out = []
    for e in entries:
        if e.action.rpartition(".")[2] not in SIGNING or content_sha256 not in e.refs:
            continue
        role = e.actor.get("role", "")
        label = "承办人" if role == "handler" else names.get(role, role)
        if e.action.endswith(".reviewed"):
            label = "审核人（案件审理部门）"
        opinion = "同意" if e.action.endswith((".reviewed", ".approved")) else ""
        when = datetime.fromisoformat(e.time.replace("Z", "+00:00"))
        out.append(
            Signature(
                label, e.actor.get("name") or e.actor.get("user_id", ""), day_zh(when), opinion
            )
        )
    return out


def _next_seq(uow: UnitOfWork, series: str, year: int) -> int:
    last = uow.session.scalar(
        select(func.max(PrintRow.seq)).where(
            PrintRow.tenant_id == uow.tenant, PrintRow.series == series, PrintRow.year == year
        )
    )
    return int(last or 0) + 1


def find(uow: UnitOfWork, document: str) -> PrintRow | None:
    return uow.session.get(PrintRow, (uow.tenant, document))


def by_code(uow: UnitOfWork, code: str) -> PrintRow | None:
    return uow.session.scalar(
        select(PrintRow).where(
            PrintRow.tenant_id == uow.tenant, PrintRow.code == normalise_code(code)
        )
    )


def of_case(uow: UnitOfWork, case_id: str) -> list[PrintRow]:
    return list(
        uow.session.scalars(
            select(PrintRow)
            .where(PrintRow.tenant_id == uow.tenant, PrintRow.case_id == case_id)
            .order_by(PrintRow.ledger_seq)
        )
    )


def issue(
    uow: UnitOfWork, principal: Principal, role: str, subject: Subject, *, service: str
) -> PrintRow:
    """Number the document (per tenant, year and form), make its sheet and append the
    sheet's hash to the case's ledger: the entry of the document taking effect. Once
    only. Its PDF is rendered after the commit (`finish`)."""
    existing = find(uow, subject.document)
    if existing is not None:
        return existing
    word, year = form(subject.type).number, local_time(subject.issued).year
    seq = _next_seq(uow, word, year) if word else None
    sheet = _sheet_of(uow, subject, format_number(uow.tenant, word, year, seq) if seq else "")
    sheet_json = sheet.to_json()
    entry = ledger.append(
        uow,
        case_id=subject.case_id,
        service=service,
        action=EFFECTIVE,
        actor=ledger.actor_of(principal, role),
        payload={"document": subject.document, "type": subject.type, "number": sheet.number,
                 "verification_code": sheet.code, "sheet_sha256": sheet_sha256(sheet_json)},
        refs=(subject.content_sha256, sheet_sha256(sheet_json)),
    )  # fmt: skip
    row = PrintRow(
        tenant_id=uow.tenant, document=subject.document, case_id=subject.case_id,
        type=subject.type, series=word, year=year, seq=seq, number=sheet.number,
        code=sheet.code, sheet_json=sheet_json, pdf_sha256="",
        object_key=object_key(subject.document), ledger_seq=entry.seq,
        ledger_hash=entry.hash, issued_at=subject.issued,
    )  # fmt: skip
    uow.add(row)
    return row


class Effective(Protocol):
    """What the effective point needs of a document of either service (an intake's or a
    case's document of the workflow, or the intake's filing approval)."""

    @property
    def type(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def drafted_by(self) -> str: ...
    @property
    def drafted_role(self) -> str: ...
    @property
    def content_json(self) -> str: ...
    @property
    def content_sha256(self) -> str: ...
    @property
    def effective_at(self) -> datetime | None: ...


def on_effective(
    uow: UnitOfWork,
    principal: Principal,
    doc: Effective,
    *,
    subject: str,
    name: str,
    case_number: str,
    addressee: str,
    service: str,
) -> PrintRow | None:
    """The one effective point of the document workflow (DESIGN §4), for intake and cases
    alike: a document that took effect is printed once (文号, verification code, its PDF's
    SHA-256 in the ledger entry `document.effective` of `subject`, the intake's or the
    case's chain). A draft, or a document still in its approval chain, is not printed."""
    if doc.state != "effective" or doc.effective_at is None:
        return None
    role = doc.drafted_role if principal.user_id == doc.drafted_by else ""
    facts = Subject(
        case_id=subject,
        document=name,
        type=doc.type,
        content=json.loads(doc.content_json or "{}"),
        content_sha256=doc.content_sha256,
        case_number=case_number,
        addressee=addressee,
        issued=doc.effective_at,
    )
    return issue(uow, principal, role, facts, service=service)


def _sheet_of(uow: UnitOfWork, subject: Subject, number: str) -> Sheet:
    return make_sheet(
        tenant=uow.tenant,
        document=subject.document,
        type_code=subject.type,
        content=subject.content,
        number=number,
        case_number=subject.case_number,
        addressee=subject.addressee,
        signatures=signatures(ledger.entries(uow, subject.case_id), subject.content_sha256),
        issued=subject.issued,
        code=verification_code(uow.tenant, subject.document),
        extra_rows=subject.extra_rows,
    )


def sheet_sha256(sheet_json: str) -> str:
    """The hash the `document.effective` entry commits to: the sheet as stored."""
    return ledger.sha256_hex(sheet_json.encode())


def render(row: PrintRow) -> bytes:
    """The print's PDF, rendered again from its sheet: the bytes the ledger records."""
    return documents.pdf(Sheet.from_json(row.sheet_json))


def pdf_sha256(row: PrintRow) -> str:
    """The PDF's SHA-256: as recorded, or (a print `finish` has not reached yet) as its
    sheet renders."""
    return row.pdf_sha256 or ledger.sha256_hex(render(row))


def finish(new_uow: Callable[[], UnitOfWork], row: PrintRow) -> tuple[PrintRow, bytes | None]:
    """After the commit that made the print: render its PDF (outside any transaction),
    then record its SHA-256 on the print and in the ledger (`document.printed`), once.
    Returns the print as recorded and the bytes (None if it was already finished)."""
    if row.pdf_sha256:
        return row, None
    pdf = render(row)
    digest = ledger.sha256_hex(pdf)
    with new_uow() as uow:
        ledger.lock_case(uow, row.case_id)  # two finishers of one print: one records it
        current = find(uow, row.document)
        if current is None:
            raise LookupError(f"{row.document} has no print")
        if not current.pdf_sha256:
            # An UPDATE of this one column (the role's only grant on prints, migration 0020).
            current.pdf_sha256 = digest
            service = uow.session.scalar(
                select(ledger.LedgerRow.service).where(
                    ledger.LedgerRow.tenant_id == uow.tenant,
                    ledger.LedgerRow.case_id == row.case_id,
                    ledger.LedgerRow.seq == row.ledger_seq,
                )
            )
            ledger.append(
                uow,
                case_id=row.case_id,
                service=service or "printing",
                action=PRINTED,
                actor=PRINTER,
                payload={"document": row.document, "pdf_sha256": digest},
                refs=(sheet_sha256(row.sheet_json), digest),
            )
            uow.commit()  # nothing is read after it: on PostgreSQL the tenant was set for it
        recorded = current.pdf_sha256
    return current, pdf if recorded == digest else None


def pending(uow: UnitOfWork, limit: int = 100) -> list[PrintRow]:
    """Prints whose PDF `finish` has not recorded (a crash came in between)."""
    return list(
        uow.session.scalars(
            select(PrintRow)
            .where(PrintRow.tenant_id == uow.tenant, PrintRow.pdf_sha256 == "")
            .limit(limit)
        )
    )


def finish_and_store(db: Database, objects: ObjectStore, tenant: str, row: PrintRow) -> PrintRow:
    """`finish` the print, then store its PDF write-once (outside any transaction)."""
    row, pdf = finish(lambda: db.unit_of_work(tenant), row)
    store(objects, tenant, row, pdf=pdf)
    return row


def finish_pending(db: Database, objects: ObjectStore, tenant: str) -> int:
    """The periodic pass: finish and store what a crash left unfinished."""
    with db.unit_of_work(tenant) as uow:
        rows = pending(uow)
    for row in rows:
        finish_and_store(db, objects, tenant, row)
    return len(rows)


def _stored(objects: ObjectStore, tenant: str, key: str) -> bool:
    try:
        objects.head(tenant, key)
    except ObjectNotFound:
        return False
    return True


def store(
    objects: ObjectStore, tenant: str, row: PrintRow, *, years: int = 0, pdf: bytes | None = None
) -> None:
    """Write the PDF of a finished print once into the object store (kept `years`, by
    default as long as a case file's default period, Art 43); a copy already there is
    left as it is."""
    if not row.pdf_sha256:
        raise RuntimeError(f"{row.document}: its PDF is not recorded yet (finish it first)")
    if _stored(objects, tenant, row.object_key):
        return
    data = pdf or render(row)
    if ledger.sha256_hex(data) != row.pdf_sha256:
        raise RuntimeError(f"{row.document}: the PDF no longer renders to the recorded bytes")
    objects.ensure_bucket(tenant)
    issued = row.issued_at if row.issued_at.tzinfo else row.issued_at.replace(tzinfo=UTC)
    with contextlib.suppress(ObjectExists):  # a concurrent store wrote the same bytes
        objects.put(
            tenant,
            row.object_key,
            iter([data]),
            metadata={
                "document": row.document,
                "verification_code": row.code,
                "content_type": "application/pdf",
            },
            retain_until=retention.until(
                max(issued, datetime.now(UTC)), years or retention.default_years()
            ),
        )


def read(objects: ObjectStore, tenant: str, row: PrintRow) -> bytes:
    """The stored PDF (stored first if it is not yet there; rendered from its sheet if
    the print is not finished yet: `finish_pending` records and stores it)."""
    if not row.pdf_sha256:
        return render(row)
    store(objects, tenant, row)
    return b"".join(itertools.chain(objects.open(tenant, row.object_key)))


@dataclass(frozen=True)
class Verdict:
    row: PrintRow
    sha256: str
    matches: bool
    ledger_verified: bool


def verify(uow: UnitOfWork, code: str, sha256: str) -> Verdict | None:
    """The print a code names, and whether `sha256` is the hash its ledger entry holds
    (and the case's chain still verifies up to and past that entry)."""
    row = by_code(uow, code)
    if row is None:
        return None
    chain = ledger.entries(uow, row.case_id)
    entry = next((e for e in chain if e.seq == row.ledger_seq), None)
    chain_ok = ledger.verify_chain(chain).ok
    recorded = (
        entry is not None
        and entry.hash == row.ledger_hash
        and bool(row.pdf_sha256)
        and (
            row.pdf_sha256 in entry.refs  # printed inside the effective transaction (before 0020)
            or (
                sheet_sha256(row.sheet_json) in entry.refs
                and any(
                    e.action == PRINTED
                    and e.seq > entry.seq
                    and list(e.refs) == [sheet_sha256(row.sheet_json), row.pdf_sha256]
                    for e in chain
                )
            )
        )
    )
    return Verdict(row, sha256, sha256 == pdf_sha256(row), chain_ok and recorded)
