"""The court round trip of seed Art 40 on the real stack: the enforcement application
leaves through the outbox onto Kafka for the court desk, and the court's acceptance and
ruling come back through routing onto the case in PostgreSQL. Time moves by the test's
clock (the services run in-process)."""

from __future__ import annotations

import pytest

from liuhen.platform.clock import SettableClock
from tests.service.test_finality_and_enforcement import court_round_trip
from tests.support import Site

pytestmark = pytest.mark.stack


def test_art40_the_court_round_trip_runs_through_routing_on_the_stack(
    stack_site: Site, clock: SettableClock
) -> None:
    court_round_trip(stack_site, clock)
