"""The List methods on PostgreSQL with row-level security (AIP-158, 160): keyset pages
over timestamptz, the text filter and the overdue EXISTS, within the caller's tenant.
The stack's database is shared, so each test filters on an employer name of its own."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from google.protobuf.timestamp_pb2 import Timestamp

from liuhen.intake.v1 import intake_pb2 as ipb
from tests.support import Site, rid

pytestmark = pytest.mark.stack


def test_art11_intakes_page_and_filter_on_postgresql(stack_site: Site) -> None:
    marker = uuid.uuid4().hex[:12]
    desk = stack_site.client("intake", "jiangan", "intake1")
    names = []
    for days_ago in (40, 20, 0):
        received = Timestamp()
        received.FromDatetime(datetime.now(UTC) - timedelta(days=days_ago))
        names.append(
            desk.RegisterComplaint(
                ipb.RegisterComplaintRequest(
                    request_id=rid(),
                    source=ipb.SOURCE_VISIT,
                    kind=ipb.INTAKE_KIND_COMPLAINT,
                    complainant=ipb.Person(name="张三"),
                    employer=ipb.Employer(name=f"公司{marker}"),
                    violation="拖欠工资",
                    received_time=received,
                )
            ).intake.name
        )
    seen, token = [], ""
    while True:
        page = desk.ListIntakes(
            ipb.ListIntakesRequest(
                parent="tenants/jiangan",
                filter=f'employer : "{marker}"',
                order_by="received_time",
                page_size=1,
                page_token=token,
            )
        )
        seen += [i.name for i in page.intakes]
        token = page.next_page_token
        if not token:
            break
    assert seen == names
    late = desk.ListIntakes(
        ipb.ListIntakesRequest(
            parent="tenants/jiangan", filter=f'employer : "{marker}" AND overdue = true'
        )
    )
    assert {i.name for i in late.intakes} == set(names[:2])
    elsewhere = stack_site.client("intake", "hongshan", "intake1").ListIntakes(
        ipb.ListIntakesRequest(parent="tenants/hongshan", filter=f'employer : "{marker}"')
    )
    assert not elsewhere.intakes
