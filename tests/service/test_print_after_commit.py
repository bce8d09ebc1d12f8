"""A document's PDF is rendered after the transaction that made it effective, outside any
lock (issue 13; seed Art 41, 45; docs/printing.md): the effective entry commits to the
sheet, `document.printed` to the PDF. A crash between the commit and the rendering loses
nothing: the print is pending, a download renders it from its sheet, and the periodic
pass records and stores it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from liuhen.cases.v1 import cases_pb2 as cpb
from liuhen.platform import ledger
from liuhen.platform.ports import ObjectNotFound
from liuhen.platform.printing import registry, storing
from tests.service.test_intake_acceptance import approve, draft, register
from tests.service.test_intake_printing import GROUNDS
from tests.service.test_printing import fetch_pdf
from tests.support import Site, running_site


@pytest.fixture
def quiet_site(tmp_path: Path) -> Iterator[Site]:
    """A site whose periodic pass (which finishes pending prints) waits an hour: the
    test plays it itself."""
    with running_site(tmp_path / "liuhen", sequencer_interval_s=3600.0) as s:
        yield s


def test_art45_a_crash_before_the_pdf_is_rendered_leaves_the_print_pending_and_complete_later(
    quiet_site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = quiet_site
    crashed: list[str] = []
    monkeypatch.setattr(  # the process dies right after the approval's commit
        storing.registry,
        "finish_and_store",
        lambda db, objects, tenant, row: crashed.append(row.document),
    )
    intake = register(site)
    drafted = draft(site, intake.name, "non_acceptance_decision", {"grounds": GROUNDS})
    doc = approve(site, drafted.document.name).document
    assert crashed == [doc.name]
    platform = site.running["intake"].platform
    intake_id = intake.name.removeprefix("intakes/")
    with platform.db.unit_of_work("jiangan") as uow:
        row = registry.find(uow, doc.name)
        assert row is not None and row.pdf_sha256 == ""  # pending: nothing lost, the sheet is kept
        effective = next(e for e in ledger.entries(uow, intake_id) if e.seq == row.ledger_seq)
        assert list(effective.refs) == [doc.content_sha256, registry.sheet_sha256(row.sheet_json)]
        assert registry.PRINTED not in [e.action for e in ledger.entries(uow, intake_id)]
    with pytest.raises(ObjectNotFound):
        platform.objects.head("jiangan", row.object_key)
    data, got = fetch_pdf(site, doc.name)  # a download meanwhile renders the sheet
    assert got.number == row.number
    monkeypatch.undo()
    assert registry.finish_pending(platform.db, platform.objects, "jiangan") == 1
    assert registry.finish_pending(platform.db, platform.objects, "jiangan") == 0
    with platform.db.unit_of_work("jiangan") as uow:
        row = registry.find(uow, doc.name)
        assert row is not None and row.pdf_sha256 == ledger.sha256_hex(data)
        (printed,) = [e for e in ledger.entries(uow, intake_id) if e.action == registry.PRINTED]
        assert list(printed.refs) == [registry.sheet_sha256(row.sheet_json), row.pdf_sha256]
        assert ledger.verify(uow, intake_id).ok
    assert platform.objects.head("jiangan", row.object_key).sha256 == row.pdf_sha256
    v = site.client("cases", "jiangan", "handler1").VerifyDocumentPdf(
        cpb.VerifyDocumentPdfRequest(pdf=data)
    )
    assert v.matches and v.ledger_verified


def test_art45_the_approval_renders_no_pdf_inside_its_transaction(
    site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The PDF is rendered after the commit: never while a transaction (and the numbering
    rows and SQLite's writer it holds) is open."""
    platform = site.running["intake"].platform
    rendered_inside: list[bool] = []
    real = registry.documents.pdf

    def pdf(sheet: object) -> bytes:
        lock = platform.db._writer_lock  # SQLite: held for exactly a transaction's length
        held = lock is not None and lock._is_owned()  # type: ignore[attr-defined]
        rendered_inside.append(held)
        return real(sheet)  # type: ignore[arg-type]

    monkeypatch.setattr(registry.documents, "pdf", pdf)
    intake = register(site)
    drafted = draft(site, intake.name, "non_acceptance_decision", {"grounds": GROUNDS})
    approve(site, drafted.document.name)
    assert rendered_inside and not any(rendered_inside)
