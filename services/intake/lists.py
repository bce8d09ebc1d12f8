"""ListIntakes (AIP-132, 158, 160): the tenant's intakes from one indexed range query
per page, filtered on state, officer, the Art 11 filing clock and text."""

from __future__ import annotations

from datetime import date

from liuhen.platform import listing
from liuhen.platform.db import UnitOfWork
from liuhen.platform.listing import FilterField, compare, compare_state
from liuhen.platform.overdue import overdue
from services.intake.model import Intake
from services.intake.orm import intakes

ORDER = {
    "received_time": ("received_at", intakes.c.received_at),
    "employer": ("employer_name", intakes.c.employer_name),
    "state": ("state", intakes.c.state),
}


def fields(today: date) -> dict[str, FilterField]:
    eq = ("=", "!=")
    return {
        "state": FilterField(eq, compare_state(intakes.c.state)),
        "registered_by": FilterField(eq, compare(intakes.c.registered_by)),
        # who transferred, designated or referred it here ("" for the desk's own)
        "from_site": FilterField(eq, compare(intakes.c.from_site)),
        "employer": FilterField((*eq, ":"), compare(intakes.c.employer_name)),
        "case_number": FilterField((*eq, ":"), compare(intakes.c.case_number)),
        "overdue": FilterField(eq, overdue(intakes.c.id, intakes.c.tenant_id, today), boolean=True),
    }


INTAKES = listing.Listed("intakes", Intake, intakes, ORDER, "received_time desc")


def list_intakes(
    uow: UnitOfWork,
    *,
    today: date,
    filter_text: str,
    order_by: str,
    page_size: int,
    page_token: str,
) -> tuple[list[Intake], str]:
    return listing.list_page(
        uow.session,
        uow.tenant,
        INTAKES,
        fields(today),
        filter_text=filter_text,
        order_by=order_by,
        page_size=page_size,
        token=page_token,
    )
