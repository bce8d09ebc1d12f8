"""Relational state: SQLAlchemy 2 models, the unit of work, idempotent transactions.

One database holds every service's tables (a prefix per service) and the platform's
shared ones (ledger, deadlines, outbox, inbox, idempotency), so that a command and
its ledger entry, deadline and outgoing message commit in one transaction (DESIGN §4,
§7). Every table has `tenant_id`; on PostgreSQL the unit of work sets `app.tenant_id`
for row-level security, and the repositories filter by tenant as well.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TypeVar

from google.protobuf.message import Message
from sqlalchemy import (
    DateTime,
    Dialect,
    Engine,
    LargeBinary,
    String,
    Table,
    create_engine,
    event,
    text,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.pool import QueuePool
from sqlalchemy.types import TypeDecorator

from liuhen.platform import clock
from liuhen.platform.errors import AlreadyExists
from liuhen.platform.private import private_file

if TYPE_CHECKING:
    from liuhen.platform.tlog import TreeState

M = TypeVar("M", bound=Message)


def utcnow() -> datetime:
    """Now, from the process's clock (liuhen/platform/clock.py; a test may move it)."""
    return clock.now()


class UtcDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on SQLite as on PostgreSQL.

    PostgreSQL's timestamptz gives them back aware; SQLite keeps no zone, so a value is
    converted to UTC before it is stored and read back as UTC. Code never sees a naive
    time from the database, on either profile."""

    impl = DateTime(timezone=True)
    cache_ok = True

    @property
    def python_type(self) -> type[datetime]:
        """datetime, as the impl's (a TypeDecorator answers `object`): keyset page
        tokens (listing.py) read a time back by this."""
        return datetime

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"a naive time cannot be stored as UTC: {value!r}")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None or value.tzinfo is not None:
            return value
        return value.replace(tzinfo=UTC)


def insert_if_absent(uow: UnitOfWork, table: Table, **values: Any) -> None:
    """INSERT the row unless one with the same key is there (ON CONFLICT DO NOTHING, on
    PostgreSQL and on SQLite): writers that race to create the same row do not fail,
    one of them creates it and the others go on with it."""
    dialect = uow.session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    uow.session.execute(insert(table).values(**values).on_conflict_do_nothing())


class Base(DeclarativeBase):
    pass


def make_engine(
    url: str, *, connect_timeout_s: float = 10.0, statement_timeout_s: float = 30.0
) -> Engine:
    """An engine whose waits are bounded: a database that hangs fails the call instead of
    holding it (issue 10). On SQLite the wait is for the write lock; on PostgreSQL for the
    connection, each statement and each lock."""
    if url.startswith("sqlite"):
        private_sqlite_file(url)
        # Pooled connections, shared across threads (each used by one transaction at a
        # time): opening a connection per transaction cost more than the transaction.
        engine = create_engine(
            url,
            connect_args={"timeout": statement_timeout_s, "check_same_thread": False},
            poolclass=QueuePool,
            pool_size=8,
            max_overflow=16,
        )

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={int(statement_timeout_s * 1000)}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # Writers queue for the lock up front instead of failing on upgrade, so
            # each transaction (and each ledger append) is serialised.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    timeout_ms = int(statement_timeout_s * 1000)
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=10,
        pool_timeout=connect_timeout_s,
        connect_args={
            "connect_timeout": max(1, int(connect_timeout_s)),
            "options": f"-c statement_timeout={timeout_ms} -c lock_timeout={timeout_ms}",
        },
    )


def private_sqlite_file(url: str) -> None:
    """Create the SQLite file readable by the service user only (it holds personal data;
    SQLite gives its -wal and -shm files the same mode)."""
    path = url.removeprefix("sqlite:///")
    if path.startswith("sqlite") or not path or path == ":memory:":
        return
    private_file(Path(path))


class IdempotencyRecord(Base):
    """The first result of each mutating request (DESIGN §8: a retry returns it)."""

    __tablename__ = "platform_idempotency"
    tenant_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    service: Mapped[str] = mapped_column(String(32), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    method: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(64))
    response: Mapped[bytes] = mapped_column(LargeBinary)
    created: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class UnitOfWork:
    """One transaction for one tenant. Only `commit()` commits; leaving without it
    rolls back."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        tenant: str,
        writer_lock: threading.RLock | None = None,
    ) -> None:
        self._factory = session_factory
        self.tenant = tenant
        self._lock = writer_lock
        self._session: Session | None = None
        # The last (seq, hash) of each case's ledger chain appended in this transaction.
        self.ledger_heads: dict[str, tuple[int, str]] = {}
        # The tenant's Merkle tree as this transaction extends it (tlog.lock_tree).
        self.tree: TreeState | None = None
        # What runs once this transaction committed and released its connection (by
        # name, once each): e.g. the sequencer that makes its ledger entries leaves.
        self.after_commit: dict[str, Callable[[], None]] = {}
        # What runs inside the transaction just before it commits (by name, once each).
        self.before_commit: dict[str, Callable[[], None]] = {}
        self._committed = False

    @property
    def session(self) -> Session:
        if self._session is None:
            raise RuntimeError("unit of work used outside its `with` block")
        return self._session

    def __enter__(self) -> Self:
        if self._lock is not None:
            self._lock.acquire()
        self._session = self._factory()
        if self._session.get_bind().dialect.name == "postgresql":
            self._session.execute(
                text("SELECT set_config('app.tenant_id', :t, true)"), {"t": self.tenant}
            )
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        try:
            # Detach first: rollback would expire every object read here, and what a read
            # returns (e.g. a row to stream from storage) must stay usable after the block.
            session.expunge_all()
            session.rollback()
        finally:
            session.close()
            self._session = None
            if self._lock is not None:
                self._lock.release()
        if self._committed:
            for hook in self.after_commit.values():
                hook()

    def commit(self) -> None:
        for hook in self.before_commit.values():
            hook()
        self.session.commit()
        self._committed = True

    def another(self) -> UnitOfWork:
        """A new unit of work on the same database and tenant (for `after_commit`)."""
        return UnitOfWork(self._factory, self.tenant, self._lock)

    @property
    def factory(self) -> sessionmaker[Session]:
        return self._factory

    def add(self, obj: object) -> None:
        self.session.add(obj)


class Database:
    def __init__(
        self, url: str, *, connect_timeout_s: float = 10.0, statement_timeout_s: float = 30.0
    ) -> None:
        self.url = url
        self.engine = make_engine(
            url, connect_timeout_s=connect_timeout_s, statement_timeout_s=statement_timeout_s
        )
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        # SQLite has one writer at a time and its busy handler retries by sleeping, which
        # starves threads under load; queue this process's transactions here instead.
        self._writer_lock = threading.RLock() if self.dialect == "sqlite" else None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def unit_of_work(self, tenant: str) -> UnitOfWork:
        return UnitOfWork(self.sessions, tenant, self._writer_lock)

    def dispose(self) -> None:
        self.engine.dispose()


def fingerprint(method: str, user_id: str, request: Message) -> str:
    body = request.SerializeToString(deterministic=True)
    return hashlib.sha256(method.encode() + b"\0" + user_id.encode() + b"\0" + body).hexdigest()


def idempotent(
    db: Database,
    *,
    tenant: str,
    service: str,
    method: str,
    user_id: str,
    request: Message,
    request_id: str,
    response_type: type[M],
    work: Callable[[UnitOfWork], M],
) -> M:
    """Run `work` in one transaction unless `request_id` was seen: a retry of the same
    request returns the first result; the same id on a different request is
    ALREADY_EXISTS (DESIGN §8). The record commits with the work, so a crash between
    them cannot apply a command twice; two copies racing each other both get the
    result of the one that committed first."""
    fp = fingerprint(method, user_id, request)
    for attempt in (1, 2):
        with db.unit_of_work(tenant) as uow:
            prior = uow.session.get(IdempotencyRecord, (tenant, service, request_id))
            if prior is not None:
                return _replay(prior, fp, request_id, response_type)
            response = work(uow)
            uow.add(
                IdempotencyRecord(
                    tenant_id=tenant,
                    service=service,
                    request_id=request_id,
                    method=method,
                    fingerprint=fp,
                    response=response.SerializeToString(),
                )
            )
            try:
                uow.commit()
            except IntegrityError:
                if attempt == 2:
                    raise
                continue  # a concurrent copy committed first: answer with its result
            return response
    raise AssertionError("unreachable")


def _replay(prior: IdempotencyRecord, fp: str, request_id: str, response_type: type[M]) -> M:
    if prior.fingerprint != fp:
        raise AlreadyExists(
            "REQUEST_ID_REUSED",
            f"request_id {request_id} was already used for another request",
            f"请求编号 {request_id} 已用于另一请求",
            article="DESIGN §8",
            field="request_id",
        )
    first: M = response_type.FromString(prior.response)
    return first
