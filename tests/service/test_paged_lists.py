"""ListMessages, ListServiceRecords and ListEntrustments are paged (issue 12; AIP-132,
158, 160): every row once across the pages, in the order asked, the old request fields
kept as shorthands of the filter, and a token of another query refused."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from liuhen.enforcement.v1 import enforcement_pb2 as epb
from liuhen.platform import catalogue
from liuhen.platform.outbox import InboxRow, OutboxRow
from liuhen.routing.v1 import routing_pb2 as rpb
from services.enforcement.orm import entrustments, service_records
from tests.support import Site, running_site, status_of

JA = "jiangan"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
CASE, OTHER = str(uuid.uuid4()), str(uuid.uuid4())
INTAKE_TYPE = next(c for c, t in catalogue.documents().items() if t.stage == "intake")
CASE_TYPE = next(c for c, t in catalogue.documents().items() if t.stage != "intake")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """One site with messages, services and entrustments written straight to its tables,
    each at its own minute (the lists' order), none left for the relay to act on."""
    with running_site(Path(tmp_path_factory.mktemp("paged")) / "liuhen") as s:
        _messages(s)
        _services(s)
        yield s


def _messages(site: Site) -> None:
    with site.running["routing"].platform.db.unit_of_work(JA) as uow:
        for i in range(7):  # inbox at even minutes, outbox at odd ones
            at, kind = T0 + timedelta(minutes=i), ("designation", "assistance_request")[i % 2]
            if i % 2 == 0:
                uow.session.add(
                    InboxRow(tenant_id=JA, message_id=str(uuid.UUID(int=i)), type=kind,
                             sender="hongshan", envelope=b"", state="applied", detail="",
                             received=at)
                )  # fmt: skip
            else:
                uow.session.add(
                    OutboxRow(message_id=str(uuid.UUID(int=i)), tenant_id=JA,
                              recipient="hongshan", topic="t", type=kind, envelope=b"",
                              state="sent", created=at)
                )  # fmt: skip
        uow.commit()


def _services(site: Site) -> None:
    with site.running["enforcement"].platform.db.unit_of_work(JA) as uow:
        for i in range(5):  # four of the case (one of them of its intake), one elsewhere
            case_id = OTHER if i == 4 else CASE
            uow.session.execute(
                service_records.insert().values(
                    id=str(uuid.UUID(int=100 + i)), tenant_id=JA, case_id=case_id,
                    document_id=str(uuid.uuid4()),
                    document_type=INTAKE_TYPE if i == 1 else CASE_TYPE,
                    method="direct", recipient="某公司", signed_by="张三",
                    served_at=T0 + timedelta(minutes=i), served_by="u1", note="",
                    fax_number="", receipt_json="{}", receipt_sha256="", deadline_ids="",
                )
            )  # fmt: skip
            uow.session.execute(
                entrustments.insert().values(
                    id=str(uuid.UUID(int=200 + i)), tenant_id=JA, case_id=case_id,
                    document_id=str(uuid.uuid4()), document_type=CASE_TYPE,
                    letter_id=str(uuid.uuid4()), entrusted_site="hongshan",
                    recipient="某公司", address="某地", method="direct",
                    message_id=str(uuid.uuid4()), state="pending" if i % 2 else "served",
                    deadline_id="", document_json="{}", sent_at=T0 + timedelta(minutes=i),
                    answer_message_id="", service_record_id="", service_date="",
                    refusal_reason="", note="", answered_at=None,
                )
            )  # fmt: skip
        uow.commit()


def every_page(call: Callable[[Any], Any], make: Callable[..., Any], repeated: str) -> list[Any]:
    """The rows of every page, two at a time, following next_page_token to the end."""
    rows: list[Any] = []
    token = ""
    for _ in range(20):
        reply = call(make(page_size=2, page_token=token))
        assert len(getattr(reply, repeated)) <= 2
        rows += getattr(reply, repeated)
        token = reply.next_page_token
        if not token:
            return rows
    raise AssertionError("the pages never ended")


def bad_token(call: Callable[[Any], Any], request: Any) -> None:
    """INVALID_ARGUMENT, reason BAD_PAGE_TOKEN, with a FieldViolation on page_token."""
    with pytest.raises(grpc.RpcError) as err:
        call(request)
    assert status_of(err.value)[:2] == (grpc.StatusCode.INVALID_ARGUMENT, "BAD_PAGE_TOKEN")
    violations = error_details_pb2.BadRequest()
    details = rpc_status.from_call(err.value).details  # type: ignore[arg-type]
    assert any(d.Unpack(violations) for d in details)
    assert [v.field for v in violations.field_violations] == ["page_token"]


# -- ListMessages (DESIGN §7) -----------------------------------------------------------


def messages(site: Site) -> Callable[[Any], Any]:
    return site.client("routing", JA, "handler1").ListMessages  # type: ignore[no-any-return]


def ids(rows: list[Any]) -> list[int]:
    """The test's own messages, by number; the site sends some of its own as it starts
    (its checkpoints, the city's supervision report), which page among them."""
    numbers = [uuid.UUID(m.name.removeprefix("messages/")).int for m in rows]
    assert len(set(numbers)) == len(numbers), "a message on two pages"
    return [n for n in numbers if n < 7]


def test_design7_messages_of_both_directions_page_by_time(site: Site) -> None:
    def make(**kw: Any) -> rpb.ListMessagesRequest:
        return rpb.ListMessagesRequest(**kw)

    assert ids(every_page(messages(site), make, "messages")) == list(range(7))

    def newest_first(**kw: Any) -> rpb.ListMessagesRequest:
        return rpb.ListMessagesRequest(order_by="time desc", **kw)

    assert ids(every_page(messages(site), newest_first, "messages")) == list(range(6, -1, -1))


def test_design7_direction_and_type_are_shorthands_of_the_filter(site: Site) -> None:
    def shorthand(**kw: Any) -> rpb.ListMessagesRequest:
        return rpb.ListMessagesRequest(direction="inbox", type="designation", **kw)

    def filtered(**kw: Any) -> rpb.ListMessagesRequest:
        return rpb.ListMessagesRequest(filter="direction = inbox AND type = designation", **kw)

    assert ids(every_page(messages(site), shorthand, "messages")) == [0, 2, 4, 6]
    assert ids(every_page(messages(site), filtered, "messages")) == [0, 2, 4, 6]
    outbox = messages(site)(rpb.ListMessagesRequest(filter="direction != inbox AND state = sent"))
    assert ids(list(outbox.messages)) == [1, 3, 5]
    assert {m.direction for m in outbox.messages} == {"outbox"}


def test_aip158_a_bad_or_foreign_message_page_token_is_refused(site: Site) -> None:
    first = messages(site)(rpb.ListMessagesRequest(page_size=2, direction="inbox"))
    assert first.next_page_token
    bad_token(messages(site), rpb.ListMessagesRequest(page_token="not a token"))
    bad_token(
        messages(site),
        rpb.ListMessagesRequest(direction="outbox", page_token=first.next_page_token),
    )


def test_aip160_a_direction_other_than_inbox_or_outbox_is_refused(site: Site) -> None:
    with pytest.raises(grpc.RpcError) as err:
        messages(site)(rpb.ListMessagesRequest(filter="direction = sideways"))
    code, reason, meta = status_of(err.value)
    assert (code, reason, meta["field"]) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "BAD_FILTER",
        "filter",
    )


# -- ListServiceRecords and ListEntrustments (Art 37, 37(5)) ----------------------------


def enforcement(site: Site) -> Any:
    return site.client("enforcement", JA, "handler1")


def test_art37_a_cases_services_page_in_the_order_served(site: Site) -> None:
    def of_case(**kw: Any) -> epb.ListServiceRecordsRequest:
        return epb.ListServiceRecordsRequest(case=f"cases/{CASE}", **kw)

    rows = every_page(enforcement(site).ListServiceRecords, of_case, "records")
    assert [r.name.rsplit("/", 1)[1] for r in rows] == [
        str(uuid.UUID(int=100 + i)) for i in (0, 2, 3)
    ]
    # The intake's own document was served on the intake, which shares the case's id.
    of_intake = enforcement(site).ListServiceRecords(
        epb.ListServiceRecordsRequest(case=f"intakes/{CASE}")
    )
    assert [r.name for r in of_intake.records] == [f"intakes/{CASE}/services/{uuid.UUID(int=101)}"]

    def everything(**kw: Any) -> epb.ListServiceRecordsRequest:
        return epb.ListServiceRecordsRequest(order_by="served_time desc", **kw)

    every = every_page(enforcement(site).ListServiceRecords, everything, "records")
    assert [r.name.rsplit("/", 1)[1] for r in every] == [
        str(uuid.UUID(int=100 + i)) for i in (4, 3, 2, 1, 0)
    ]


def test_art37_a_bad_service_page_token_or_case_is_refused(site: Site) -> None:
    call = enforcement(site).ListServiceRecords
    bad_token(call, epb.ListServiceRecordsRequest(case=f"cases/{CASE}", page_token="@@"))
    with pytest.raises(grpc.RpcError) as err:
        call(epb.ListServiceRecordsRequest(case="cases/not-a-uuid"))
    code, reason, meta = status_of(err.value)
    assert (code, reason, meta["field"]) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "MALFORMED_NAME",
        "case",
    )


def test_art37_5_entrustments_page_and_filter_on_case_and_state(site: Site) -> None:
    def of_case(**kw: Any) -> epb.ListEntrustmentsRequest:
        return epb.ListEntrustmentsRequest(case=f"cases/{CASE}", **kw)

    rows = every_page(enforcement(site).ListEntrustments, of_case, "entrustments")
    assert [e.name.rsplit("/", 1)[1] for e in rows] == [
        str(uuid.UUID(int=200 + i)) for i in range(4)
    ]

    def pending(**kw: Any) -> epb.ListEntrustmentsRequest:
        return epb.ListEntrustmentsRequest(
            filter="state = pending", order_by="sent_time desc", **kw
        )

    waiting = every_page(enforcement(site).ListEntrustments, pending, "entrustments")
    assert [e.name.rsplit("/", 1)[1] for e in waiting] == [
        str(uuid.UUID(int=200 + i)) for i in (3, 1)
    ]
    assert {e.state for e in waiting} == {epb.Entrustment.PENDING}


def test_art37_5_a_bad_entrustment_page_token_is_refused(site: Site) -> None:
    call = enforcement(site).ListEntrustments
    first = call(epb.ListEntrustmentsRequest(page_size=1))
    bad_token(
        call,
        epb.ListEntrustmentsRequest(filter="state = pending", page_token=first.next_page_token),
    )
    bad_token(call, epb.ListEntrustmentsRequest(page_token="e30="))
