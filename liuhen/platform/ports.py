"""The ports of infrastructure that have an embedded and a real adapter (DESIGN §2).

Each port is an abstract class; the embedded adapter and the real adapter subclass it,
and one contract suite per port (tests/contract/) runs the same checks on both.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime


class PortError(Exception):
    """Base of the errors the adapters raise."""


# --- site-to-site messages: Kafka, or the embedded SQLite log -----------------------


class MessageLogError(PortError):
    """The log did not acknowledge a write, or could not be read."""


@dataclass(frozen=True)
class LogRecord:
    topic: str
    partition: int
    offset: int
    key: str
    value: bytes
    headers: Mapping[str, str] = field(default_factory=dict)


class LogConsumer(ABC):
    """A member of a consumer group. A new consumer of a group starts at the group's
    committed offset (or the earliest record); poll advances its position; only
    commit() makes progress survive a restart (at-least-once delivery)."""

    @abstractmethod
    def poll(self, max_records: int = 100, timeout_s: float = 1.0) -> list[LogRecord]: ...

    @abstractmethod
    def commit(self, record: LogRecord) -> None:
        """Commit the group's offset past this record."""

    @abstractmethod
    def close(self) -> None: ...


class MessageLog(ABC):
    @abstractmethod
    def ensure_topics(self, topics: Iterable[str]) -> None: ...

    @abstractmethod
    def publish(self, topic: str, key: str, value: bytes, headers: Mapping[str, str]) -> int:
        """Write one record and return its offset once the log has acknowledged it
        (Kafka: acks=all, idempotent producer). Raises MessageLogError otherwise."""

    @abstractmethod
    def consumer(self, group: str, topics: Sequence[str]) -> LogConsumer: ...

    @abstractmethod
    def close(self) -> None: ...


# --- footage and attachments: S3 with Object Lock, or the embedded store ------------


class ObjectExists(PortError):
    """A write to a key that already holds an object (Art 45: no overwrite)."""


class ObjectLocked(PortError):
    """A delete or change refused by retention or legal hold (Art 45)."""


class ObjectNotFound(PortError):
    pass


class FixityMismatch(PortError):
    """Stored bytes no longer hash to what was recorded (Art 45: 不得…删改): a finding."""


@dataclass(frozen=True)
class StoredObject:
    key: str
    sha256: str
    size: int
    retain_until: datetime | None = None
    version_id: str | None = None
    metadata: Mapping[str, str] = field(default_factory=dict)
    legal_hold: bool = False


class ObjectStore(ABC):
    """One bucket (or folder) per tenant; objects kept under COMPLIANCE retention."""

    @abstractmethod
    def ensure_bucket(self, tenant: str) -> None: ...

    @abstractmethod
    def put(
        self,
        tenant: str,
        key: str,
        chunks: Iterable[bytes],
        *,
        metadata: Mapping[str, str],
        retain_until: datetime,
    ) -> StoredObject:
        """Stream chunks into the store, computing SHA-256 as they pass; never holds
        the whole object in memory. Raises ObjectExists if the key is taken."""

    @abstractmethod
    def head(self, tenant: str, key: str) -> StoredObject: ...

    @abstractmethod
    def open(self, tenant: str, key: str) -> Iterator[bytes]: ...

    @abstractmethod
    def open_range(
        self, tenant: str, key: str, *, offset: int, length: int | None = None
    ) -> Iterator[bytes]:
        """The bytes from `offset`, `length` of them (None: to the end), cut at the end
        of the object, in chunks (a browser seeking in a video, Art 44). Nothing at or
        past the end. Not re-hashed: a range is not the whole object."""

    @abstractmethod
    def delete(self, tenant: str, key: str) -> None:
        """Always refused for an object under retention: raises ObjectLocked."""

    @abstractmethod
    def set_legal_hold(self, tenant: str, key: str, on: bool) -> None: ...

    @abstractmethod
    def extend_retention(self, tenant: str, key: str, retain_until: datetime) -> StoredObject:
        """Lock the object until `retain_until` if that is later than its lock now (at
        both zones); a lock is never shortened. Returns the object as now stored."""

    @abstractmethod
    def replica_sha256(self, tenant: str, key: str, timeout_s: float = 0.0) -> str | None:
        """SHA-256 of the off-site copy (Art 41 异地备份), re-read from its bytes, or None
        if it has none yet."""

    @abstractmethod
    def copy_offsite(self, tenant: str, key: str, timeout_s: float = 0.0) -> str | None:
        """Make the off-site copy (or, where the store replicates itself, wait up to
        timeout_s for it) and return its SHA-256; None if it is not there yet. Safe to
        repeat: a durable task calls it until it answers (Art 41 异地备份)."""

    @abstractmethod
    def primary_sha256(self, tenant: str, key: str) -> str:
        """SHA-256 of the primary copy, re-read from its bytes (a fixity check)."""

    @abstractmethod
    def clean_staging(self, older_than_s: float = 0.0, tenant: str | None = None) -> int:
        """Remove what interrupted writes left behind (partial files, staged objects,
        incomplete multipart uploads) older than older_than_s, of one tenant or all;
        returns how many."""
