"""The inbox consumer commits a record's offset only once it is stored, and once per poll
(DESIGN §7: at-least-once; the inbox is keyed by message id, so a redelivery is a no-op).
A commit per record was a round trip to the log per message (docs/performance.md)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from liuhen.platform.ports import LogConsumer, LogRecord
from services.routing.relay import InboxConsumer


class FakeConsumer(LogConsumer):
    def __init__(self, records: list[LogRecord]) -> None:
        self.records, self.committed, self.closed = records, [], False

    def poll(self, max_records: int = 100, timeout_s: float = 1.0) -> list[LogRecord]:
        out, self.records = self.records, []
        return out

    def commit(self, record: LogRecord) -> None:
        self.committed.append((record.topic, record.partition, record.offset))

    def close(self) -> None:
        self.closed = True


class Consumer(InboxConsumer):
    """The real drain; storing a record is recorded (or fails for `failing` offsets)."""

    def __init__(self, fake: FakeConsumer, failing: frozenset[int] = frozenset()) -> None:
        platform: Any = SimpleNamespace(settings=SimpleNamespace(relay_interval_s=0.2))
        super().__init__(platform)
        self._consumers["hongshan"] = fake
        self.failing, self.stored = failing, []

    def _receive(self, tenant: str, record: LogRecord) -> int:
        if record.offset in self.failing:
            raise RuntimeError("database down")
        self.stored.append(record.offset)
        return 1


def records(*offsets: int, partition: int = 0) -> list[LogRecord]:
    return [LogRecord("liuhen.site.hongshan", partition, o, f"k{o}", b"") for o in offsets]


def test_design7_one_commit_per_poll_after_every_record_is_stored() -> None:
    fake = FakeConsumer(records(5, 6, 7))
    consumer = Consumer(fake)
    assert consumer._drain("hongshan") == 3
    assert consumer.stored == [5, 6, 7]
    assert fake.committed == [("liuhen.site.hongshan", 0, 7)]


def test_design7_a_record_not_stored_is_not_committed_but_those_before_it_are() -> None:
    fake = FakeConsumer(records(5, 6, 7))
    consumer = Consumer(fake, failing=frozenset({6}))
    assert consumer._drain("hongshan") == 1
    assert consumer.stored == [5]
    assert fake.committed == [("liuhen.site.hongshan", 0, 5)]
    assert fake.closed and "hongshan" not in consumer._consumers  # re-read from offset 6


def test_design7_the_first_record_not_stored_commits_nothing() -> None:
    fake = FakeConsumer(records(5, 6))
    consumer = Consumer(fake, failing=frozenset({5}))
    assert consumer._drain("hongshan") == 0
    assert fake.committed == []


def test_design7_each_partition_commits_its_own_last_stored_record() -> None:
    fake = FakeConsumer([*records(3, 4, partition=0), *records(9, partition=1), *records(5)])
    consumer = Consumer(fake)
    assert consumer._drain("hongshan") == 4
    assert sorted(fake.committed) == [
        ("liuhen.site.hongshan", 0, 5),
        ("liuhen.site.hongshan", 1, 9),
    ]
