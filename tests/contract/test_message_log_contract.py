"""One contract for the site-to-site message log (DESIGN §7), run on the embedded SQLite
log and on Kafka. Delivery is at-least-once: only commit() makes progress survive a
restart, and the recipient's inbox (keyed by message id) turns a redelivery into a
no-op."""

from __future__ import annotations

import multiprocessing
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from liuhen.platform.messages import KafkaMessageLog, SqliteMessageLog, topic_for
from liuhen.platform.ports import LogConsumer, LogRecord, MessageLog, MessageLogError


def poll_until(consumer: LogConsumer, n: int, timeout_s: float = 30.0) -> list[LogRecord]:
    """Poll until n records arrived (or the deadline passed); a group join may take a
    few polls on Kafka."""
    deadline = time.monotonic() + timeout_s
    got: list[LogRecord] = []
    while len(got) < n and time.monotonic() < deadline:
        got.extend(consumer.poll(max_records=n - len(got), timeout_s=0.5))
    return got


def poll_quiet(consumer: LogConsumer, seconds: float = 3.0) -> list[LogRecord]:
    """Everything a consumer gets within a few seconds (to show it gets nothing)."""
    deadline = time.monotonic() + seconds
    got: list[LogRecord] = []
    while time.monotonic() < deadline:
        got.extend(consumer.poll(timeout_s=0.5))
    return got


class MessageLogContract:
    """Subclass once per adapter and provide the `log` fixture."""

    @pytest.fixture
    def log(self) -> Iterator[MessageLog]:
        raise NotImplementedError

    @pytest.fixture
    def topic(self, log: MessageLog, unique: str) -> str:
        name = f"liuhen.test.{unique}"
        log.ensure_topics([name])
        return name

    def publish_three(self, log: MessageLog, topic: str) -> list[int]:
        return [
            log.publish(topic, f"k{i}", f"v{i}".encode(), {"message_id": f"m{i}", "类型": "移送"})
            for i in range(3)
        ]

    def test_publish_returns_offsets_from_zero_in_order(
        self, log: MessageLog, topic: str, unique: str
    ) -> None:
        assert self.publish_three(log, topic) == [0, 1, 2]
        consumer = log.consumer(f"g-{unique}", [topic])
        try:
            records = poll_until(consumer, 3)
        finally:
            consumer.close()
        assert [(r.offset, r.key, r.value) for r in records] == [
            (0, "k0", b"v0"),
            (1, "k1", b"v1"),
            (2, "k2", b"v2"),
        ]
        assert records[0].topic == topic and records[0].partition == 0
        assert dict(records[2].headers) == {"message_id": "m2", "类型": "移送"}

    def test_restarted_consumer_without_commit_sees_records_again(
        self, log: MessageLog, topic: str, unique: str
    ) -> None:
        self.publish_three(log, topic)
        first = log.consumer(f"g-{unique}", [topic])
        assert len(poll_until(first, 3)) == 3
        first.close()  # crashed before commit
        again = log.consumer(f"g-{unique}", [topic])
        try:
            assert [r.offset for r in poll_until(again, 3)] == [0, 1, 2]
        finally:
            again.close()

    def test_committed_progress_survives_a_restart(
        self, log: MessageLog, topic: str, unique: str
    ) -> None:
        self.publish_three(log, topic)
        first = log.consumer(f"g-{unique}", [topic])
        records = poll_until(first, 3)
        first.commit(records[1])
        first.close()
        again = log.consumer(f"g-{unique}", [topic])
        try:
            assert [r.offset for r in poll_until(again, 1)] == [2]
            again.commit(records[2])
            assert poll_quiet(again) == []
        finally:
            again.close()

    def test_poll_advances_position_without_commit(
        self, log: MessageLog, topic: str, unique: str
    ) -> None:
        self.publish_three(log, topic)
        consumer = log.consumer(f"g-{unique}", [topic])
        try:
            assert len(poll_until(consumer, 3)) == 3
            assert poll_quiet(consumer, 2.0) == []
            assert log.publish(topic, "k3", b"v3", {}) == 3
            assert [r.offset for r in poll_until(consumer, 1)] == [3]
        finally:
            consumer.close()

    def test_two_groups_are_independent(self, log: MessageLog, topic: str, unique: str) -> None:
        self.publish_three(log, topic)
        a = log.consumer(f"a-{unique}", [topic])
        records = poll_until(a, 3)
        a.commit(records[-1])
        a.close()
        b = log.consumer(f"b-{unique}", [topic])
        try:
            assert [r.offset for r in poll_until(b, 3)] == [0, 1, 2]
        finally:
            b.close()

    def test_consumer_reads_several_topics(self, log: MessageLog, unique: str) -> None:
        t1, t2 = f"liuhen.test.{unique}.one", f"liuhen.test.{unique}.two"
        log.ensure_topics([t1, t2])
        log.ensure_topics([t1])  # idempotent
        log.publish(t1, "a", b"1", {})
        log.publish(t2, "b", b"2", {})
        consumer = log.consumer(f"g-{unique}", [t1, t2])
        try:
            got = {(r.topic, r.value) for r in poll_until(consumer, 2)}
        finally:
            consumer.close()
        assert got == {(t1, b"1"), (t2, b"2")}

    def test_unknown_topic_is_refused(self, log: MessageLog, topic: str) -> None:
        assert log.publish(topic, "k", b"v", {}) == 0  # the log answers (no false pass)
        with pytest.raises(MessageLogError, match="unknown topic"):
            log.publish(f"{topic}.absent", "k", b"v", {})

    def test_same_key_published_twice_is_two_records(
        self, log: MessageLog, topic: str, unique: str
    ) -> None:
        assert log.publish(topic, "msg-1", b"same", {"message_id": "msg-1"}) == 0
        assert log.publish(topic, "msg-1", b"same", {"message_id": "msg-1"}) == 1
        consumer = log.consumer(f"g-{unique}", [topic])
        try:
            assert len(poll_until(consumer, 2)) == 2
        finally:
            consumer.close()

    def test_inbox_keyed_by_message_id_makes_a_redelivery_a_no_op(
        self, log: MessageLog, topic: str, unique: str
    ) -> None:
        """DESIGN §7: store in the inbox by message id, then commit; a duplicate (the
        relay re-sent after a lost ack, or a redelivery after a crash) is a no-op."""
        inbox: dict[str, bytes] = {}
        applied: list[str] = []

        def receive(consumer: LogConsumer, n: int) -> None:
            for record in poll_until(consumer, n):
                message_id = record.headers["message_id"]
                if message_id not in inbox:
                    inbox[message_id] = record.value
                    applied.append(message_id)
                consumer.commit(record)

        log.publish(topic, "m1", b"transfer", {"message_id": "m1"})
        log.publish(topic, "m1", b"transfer", {"message_id": "m1"})  # relay retry
        log.publish(topic, "m2", b"receipt", {"message_id": "m2"})
        first = log.consumer(f"g-{unique}", [topic])
        receive(first, 3)
        first.close()
        assert applied == ["m1", "m2"]
        again = log.consumer(f"g-{unique}", [topic])  # restart: nothing is re-applied
        try:
            assert poll_quiet(again) == []
        finally:
            again.close()


def test_topic_for_routes_sites_and_desks() -> None:
    assert topic_for("jiangan") == "liuhen.site.jiangan"
    assert topic_for("jiangan.psb") == "liuhen.desk.jiangan.psb"
    assert topic_for("hubei") == "liuhen.desk.hubei"
    with pytest.raises(ValueError):
        topic_for("a.b.c")
    with pytest.raises(ValueError):
        topic_for("")


# --- the embedded SQLite log ------------------------------------------------------------


def _publish_many(path: str, topic: str, worker: int, n: int) -> None:
    log = SqliteMessageLog(Path(path))
    for i in range(n):
        log.publish(topic, f"w{worker}", f"{worker}:{i}".encode(), {})
    log.close()


class TestSqliteMessageLog(MessageLogContract):
    @pytest.fixture
    def log(self, tmp_path: Path) -> Iterator[MessageLog]:
        log = SqliteMessageLog(tmp_path / "log.sqlite")
        yield log
        log.close()

    def test_processes_sharing_one_file_get_unique_gapless_offsets(
        self, tmp_path: Path, unique: str
    ) -> None:
        path = tmp_path / "shared.sqlite"
        topic = f"liuhen.test.{unique}"
        SqliteMessageLog(path).ensure_topics([topic])
        ctx = multiprocessing.get_context("spawn")
        procs = [
            ctx.Process(target=_publish_many, args=(str(path), topic, w, 25)) for w in range(5)
        ]
        for p in procs:
            p.start()
        for p in procs:
            p.join(60)
            assert p.exitcode == 0
        log = SqliteMessageLog(path)
        consumer = log.consumer(f"g-{unique}", [topic])
        records = poll_until(consumer, 125, timeout_s=5)
        log.close()
        assert [r.offset for r in records] == list(range(125))
        for w in range(5):  # each producer's records stay in its order
            mine = [r.value for r in records if r.key == f"w{w}"]
            assert mine == [f"{w}:{i}".encode() for i in range(25)]

    def test_records_are_never_updated_or_deleted(self, tmp_path: Path, topic: str) -> None:
        log = SqliteMessageLog(tmp_path / "log.sqlite")
        log.ensure_topics([topic])
        log.publish(topic, "k", b"v", {})
        log.close()
        conn = sqlite3.connect(tmp_path / "log.sqlite")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("UPDATE records SET value = x'00'")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("DELETE FROM records")
        conn.close()


# --- Kafka ------------------------------------------------------------------------------


@pytest.mark.stack
class TestKafkaMessageLog(MessageLogContract):
    @pytest.fixture
    def log(self, kafka_bootstrap: str, unique: str) -> Iterator[MessageLog]:
        log = KafkaMessageLog(kafka_bootstrap, f"liuhen-contract-{unique}")
        yield log
        log.close()
