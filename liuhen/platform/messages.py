"""Site-to-site message log adapters (DESIGN §2, §7).

`SqliteMessageLog` is the embedded default: an append-only log in one SQLite file that
several service processes share. `KafkaMessageLog` is the real adapter (kafka-python,
idempotent producer, acks=all). Both follow the `MessageLog`/`LogConsumer` contract in
`ports.py`: publish returns the offset only once the record is durable, a consumer
group resumes from its committed offset, and only commit() makes progress survive a
restart (at-least-once; the recipient's inbox removes duplicates by message id).
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import KafkaError, TopicAlreadyExistsError
from kafka.structs import OffsetAndMetadata

from liuhen.platform.ports import LogConsumer, LogRecord, MessageLog, MessageLogError
from liuhen.platform.private import private_file

_SITE_ID = re.compile(r"[a-z0-9][a-z0-9_-]*")


def topic_for(recipient: str) -> str:
    """The topic a recipient reads: `liuhen.site.<site>` for a site id,
    `liuhen.desk.<tenant>.<kind>` for a desk `<tenant>.<kind>` (e.g. `jiangan.psb`),
    and `liuhen.desk.hubei` for the province desk."""
    if recipient == "hubei":
        return "liuhen.desk.hubei"
    parts = recipient.split(".")
    if not all(_SITE_ID.fullmatch(p) for p in parts) or len(parts) > 2:
        raise ValueError(f"not a site id or desk: {recipient!r}")
    if len(parts) == 2:
        return f"liuhen.desk.{parts[0]}.{parts[1]}"
    return f"liuhen.site.{recipient}"


# --- embedded: SQLite -------------------------------------------------------------

_SCHEMA = """
CREATE TABLE IF NOT EXISTS topics (name TEXT PRIMARY KEY) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS records (
    topic TEXT NOT NULL REFERENCES topics(name),
    "offset" INTEGER NOT NULL,
    key TEXT NOT NULL,
    value BLOB NOT NULL,
    headers TEXT NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (topic, "offset")
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS group_offsets (
    group_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    partition INTEGER NOT NULL,
    "offset" INTEGER NOT NULL,
    PRIMARY KEY (group_id, topic, partition)
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS records_no_update BEFORE UPDATE ON records
    BEGIN SELECT RAISE(ABORT, 'the message log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS records_no_delete BEFORE DELETE ON records
    BEGIN SELECT RAISE(ABORT, 'the message log is append-only'); END;
"""


class SqliteMessageLog(MessageLog):
    """An append-only log in one SQLite file (WAL), safe to share between threads
    (a connection per thread) and processes (WAL + busy_timeout + BEGIN IMMEDIATE).
    Every topic has one partition (0). Publishing to a topic that `ensure_topics` has
    not created is refused, as Kafka does with auto-create off."""

    def __init__(self, path: Path, *, busy_timeout_ms: int = 30_000) -> None:
        self._path = Path(path)
        self._busy_timeout_ms = busy_timeout_ms
        self._local = threading.local()
        self._connections: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        self._closed = False
        self._path.parent.mkdir(parents=True, exist_ok=True)
        private_file(self._path)  # the messages carry complainants' names
        self._conn().executescript(_SCHEMA)

    def _conn(self) -> sqlite3.Connection:
        if self._closed:
            raise MessageLogError("the message log is closed")
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self._path,
                timeout=self._busy_timeout_ms / 1000,
                isolation_level=None,  # explicit BEGIN IMMEDIATE below
                check_same_thread=False,  # only so close() may close it
            )
            conn.execute(f"PRAGMA busy_timeout = {int(self._busy_timeout_ms)}")
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = FULL")  # durable once publish returns
            self._local.conn = conn
            with self._lock:
                self._connections.append(conn)
        return conn

    def ensure_topics(self, topics: Iterable[str]) -> None:
        names = [(t,) for t in topics]
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("INSERT OR IGNORE INTO topics (name) VALUES (?)", names)
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            _rollback(conn)
            raise MessageLogError(f"could not create topics: {exc}") from exc

    def publish(self, topic: str, key: str, value: bytes, headers: Mapping[str, str]) -> int:
        conn = self._conn()
        try:
            conn.execute("BEGIN IMMEDIATE")
            if conn.execute("SELECT 1 FROM topics WHERE name = ?", (topic,)).fetchone() is None:
                conn.execute("ROLLBACK")
                raise MessageLogError(f"unknown topic {topic!r}")
            (offset,) = conn.execute(
                'SELECT COALESCE(MAX("offset") + 1, 0) FROM records WHERE topic = ?', (topic,)
            ).fetchone()
            conn.execute(
                'INSERT INTO records (topic, "offset", key, value, headers, created_at)'
                " VALUES (?, ?, ?, ?, ?, ?)",
                (topic, offset, key, bytes(value), json.dumps(dict(headers)), time.time()),
            )
            conn.execute("COMMIT")
        except sqlite3.Error as exc:
            _rollback(conn)
            raise MessageLogError(f"publish to {topic!r} not acknowledged: {exc}") from exc
        return int(offset)

    def consumer(self, group: str, topics: Sequence[str]) -> LogConsumer:
        return _SqliteConsumer(self, group, list(topics))

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for conn in self._connections:
                conn.close()
            self._connections.clear()

    # used by the consumer
    def _committed(self, group: str, topic: str) -> int:
        row = (
            self._conn()
            .execute(
                'SELECT "offset" FROM group_offsets WHERE group_id = ? AND topic = ?'
                " AND partition = 0",
                (group, topic),
            )
            .fetchone()
        )
        return int(row[0]) if row else 0

    def _read(self, topic: str, start: int, limit: int) -> list[LogRecord]:
        rows = (
            self._conn()
            .execute(
                'SELECT "offset", key, value, headers FROM records'
                ' WHERE topic = ? AND "offset" >= ? ORDER BY "offset" LIMIT ?',
                (topic, start, limit),
            )
            .fetchall()
        )
        return [
            LogRecord(topic, 0, int(off), key, bytes(value), json.loads(headers))
            for off, key, value, headers in rows
        ]

    def _commit(self, group: str, record: LogRecord) -> None:
        conn = self._conn()
        try:
            conn.execute(
                'INSERT INTO group_offsets (group_id, topic, partition, "offset")'
                " VALUES (?, ?, ?, ?) ON CONFLICT (group_id, topic, partition)"
                ' DO UPDATE SET "offset" = excluded."offset"',
                (group, record.topic, record.partition, record.offset + 1),
            )
        except sqlite3.Error as exc:
            raise MessageLogError(f"commit of {group!r} failed: {exc}") from exc


def _rollback(conn: sqlite3.Connection) -> None:
    if conn.in_transaction:
        conn.execute("ROLLBACK")


class _SqliteConsumer(LogConsumer):
    """Positions are loaded at the first poll, like a Kafka assignment. The embedded
    log has no group membership: run one consumer per group at a time."""

    _POLL_INTERVAL_S = 0.05

    def __init__(self, log: SqliteMessageLog, group: str, topics: list[str]) -> None:
        self._log = log
        self._group = group
        self._topics = topics
        self._positions: dict[str, int] | None = None
        self._next_topic = 0

    def poll(self, max_records: int = 100, timeout_s: float = 1.0) -> list[LogRecord]:
        deadline = time.monotonic() + timeout_s
        try:
            if self._positions is None:
                self._positions = {t: self._log._committed(self._group, t) for t in self._topics}
            while True:
                records = self._fetch(self._positions, max_records)
                if records or time.monotonic() >= deadline:
                    return records
                time.sleep(min(self._POLL_INTERVAL_S, max(0.0, deadline - time.monotonic())))
        except sqlite3.Error as exc:
            raise MessageLogError(f"poll failed: {exc}") from exc

    def _fetch(self, positions: dict[str, int], max_records: int) -> list[LogRecord]:
        # Start from a different topic each poll so a busy topic does not starve others.
        n = len(self._topics)
        order = [self._topics[(self._next_topic + i) % n] for i in range(n)]
        self._next_topic = (self._next_topic + 1) % max(n, 1)
        out: list[LogRecord] = []
        for topic in order:
            if len(out) >= max_records:
                break
            batch = self._log._read(topic, positions[topic], max_records - len(out))
            if batch:
                positions[topic] = batch[-1].offset + 1
                out.extend(batch)
        return out

    def commit(self, record: LogRecord) -> None:
        self._log._commit(self._group, record)

    def close(self) -> None:
        self._positions = None


# --- real: Kafka --------------------------------------------------------------------


class KafkaMessageLog(MessageLog):
    """Kafka through kafka-python: an idempotent producer with acks=all, so publish
    returns only once every in-sync replica has the record; consumers commit by hand."""

    def __init__(
        self,
        bootstrap: str,
        client_id: str,
        *,
        partitions: int = 1,
        replication: int = 1,
        publish_timeout_s: float = 30.0,
        request_timeout_ms: int = 30_000,
    ) -> None:
        self._bootstrap = bootstrap
        self._client_id = client_id
        self._partitions = partitions
        self._replication = replication
        self._publish_timeout_s = publish_timeout_s
        self._request_timeout_ms = request_timeout_ms
        self._lock = threading.Lock()
        self._producer: Any = None
        self._admin: Any = None
        self._known_topics: set[str] = set()

    def _get_producer(self) -> Any:
        with self._lock:
            if self._producer is None:
                self._producer = KafkaProducer(
                    bootstrap_servers=self._bootstrap,
                    client_id=self._client_id,
                    acks="all",
                    enable_idempotence=True,
                    retries=2**31 - 1,
                    max_in_flight_requests_per_connection=5,  # ordered under idempotence
                    linger_ms=0,
                    allow_auto_create_topics=False,
                    max_block_ms=int(self._publish_timeout_s * 1000),
                    request_timeout_ms=self._request_timeout_ms,
                    delivery_timeout_ms=max(
                        int(self._publish_timeout_s * 1000), self._request_timeout_ms
                    ),
                )
            return self._producer

    def _get_admin(self) -> Any:
        with self._lock:
            if self._admin is None:
                self._admin = KafkaAdminClient(
                    bootstrap_servers=self._bootstrap,
                    client_id=f"{self._client_id}-admin",
                    request_timeout_ms=self._request_timeout_ms,
                )
            return self._admin

    def ensure_topics(self, topics: Iterable[str]) -> None:
        wanted = sorted(set(topics))
        if not wanted:
            return
        spec = {
            t: {"num_partitions": self._partitions, "replication_factor": self._replication}
            for t in wanted
        }
        try:
            result = self._get_admin().create_topics(spec, raise_errors=False)
            for topic in result["topics"]:
                code = int(topic["error_code"])
                if code not in (0, TopicAlreadyExistsError.errno):
                    raise MessageLogError(
                        f"could not create topic {topic['name']!r}: error {code} "
                        f"{topic.get('error_message') or ''}"
                    )
            self._get_admin().wait_for_topics(wanted)
        except KafkaError as exc:
            raise MessageLogError(f"could not create topics {wanted}: {exc}") from exc
        self._known_topics.update(wanted)

    def _check_topic(self, topic: str) -> None:
        # Without auto-create the producer would block max_block_ms on an unknown topic;
        # ask the cluster once instead and refuse at once.
        if topic in self._known_topics:
            return
        if topic not in set(self._get_admin().list_topics()):
            raise MessageLogError(f"unknown topic {topic!r}")
        self._known_topics.add(topic)

    def publish(self, topic: str, key: str, value: bytes, headers: Mapping[str, str]) -> int:
        try:
            self._check_topic(topic)
            future = self._get_producer().send(
                topic,
                value=bytes(value),
                key=key.encode("utf-8"),
                headers=[(k, v.encode("utf-8")) for k, v in headers.items()],
            )
            metadata = future.get(timeout=self._publish_timeout_s)
        except KafkaError as exc:
            raise MessageLogError(f"publish to {topic!r} not acknowledged: {exc}") from exc
        return int(metadata.offset)

    def consumer(self, group: str, topics: Sequence[str]) -> LogConsumer:
        try:
            consumer = KafkaConsumer(
                *topics,
                bootstrap_servers=self._bootstrap,
                client_id=f"{self._client_id}-{group}",
                group_id=group,
                enable_auto_commit=False,
                auto_offset_reset="earliest",
                allow_auto_create_topics=False,
                request_timeout_ms=self._request_timeout_ms,
            )
        except KafkaError as exc:
            raise MessageLogError(f"could not join group {group!r}: {exc}") from exc
        return _KafkaConsumer(consumer)

    def close(self) -> None:
        with self._lock:
            if self._producer is not None:
                self._producer.close(timeout=self._publish_timeout_s)
                self._producer = None
            if self._admin is not None:
                self._admin.close()
                self._admin = None


class _KafkaConsumer(LogConsumer):
    def __init__(self, consumer: Any) -> None:
        self._consumer = consumer

    # Joining the group takes several round trips that a zero-timeout poll never waits
    # for: until partitions are assigned, each poll waits at least this long.
    JOIN_WAIT_S = 0.5

    def poll(self, max_records: int = 100, timeout_s: float = 1.0) -> list[LogRecord]:
        if not self._consumer.assignment():
            timeout_s = max(timeout_s, self.JOIN_WAIT_S)
        try:
            batches = self._consumer.poll(timeout_ms=int(timeout_s * 1000), max_records=max_records)
        except KafkaError as exc:
            raise MessageLogError(f"poll failed: {exc}") from exc
        return [_to_record(r) for batch in batches.values() for r in batch]

    def commit(self, record: LogRecord) -> None:
        tp = TopicPartition(record.topic, record.partition)
        try:
            self._consumer.commit({tp: OffsetAndMetadata(record.offset + 1, "", -1)})
        except KafkaError as exc:
            raise MessageLogError(f"commit of {tp} failed: {exc}") from exc

    def close(self) -> None:
        self._consumer.close(autocommit=False)


def _to_record(r: Any) -> LogRecord:
    return LogRecord(
        topic=r.topic,
        partition=int(r.partition),
        offset=int(r.offset),
        key=r.key.decode("utf-8") if r.key is not None else "",
        value=bytes(r.value) if r.value is not None else b"",
        headers={k: (v or b"").decode("utf-8") for k, v in (r.headers or [])},
    )
