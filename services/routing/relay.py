"""The routing workers (DESIGN §7): the outbox relay publishes each site's outbox to the
recipient's topic, and the inbox consumer stores what arrives on each site's topic in
its inbox (before committing the offset) and applies it. One routing deployment serves
every tenant, so both workers go round all the sites, one transaction per tenant
(PostgreSQL row-level security scopes each transaction to one tenant)."""

from __future__ import annotations

import logging
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Mapping

from opentelemetry import trace
from sqlalchemy.exc import IntegrityError

from liuhen.cases.v1 import cases_internal_pb2, cases_internal_pb2_grpc
from liuhen.enforcement.v1 import enforcement_internal_pb2, enforcement_internal_pb2_grpc
from liuhen.intake.v1 import intake_internal_pb2, intake_internal_pb2_grpc
from liuhen.platform import telemetry, witnessing
from liuhen.platform.bootstrap import Platform
from liuhen.platform.catalogue import sites
from liuhen.platform.enums import key_of
from liuhen.platform.errors import LiuhenError
from liuhen.platform.outbox import all_topics, topic_for_site
from liuhen.platform.ports import LogConsumer, LogRecord, MessageLogError
from liuhen.platform.service import call_sibling
from liuhen.routing.v1 import routing_pb2
from services.routing import handlers
from services.routing.model import APPLIED, DEAD, INBOUND, Apply, after_apply_error, backoff_s

log = logging.getLogger("liuhen.routing")


def _trace_context(envelope: routing_pb2.Envelope | None) -> Mapping[str, str]:
    return dict(envelope.trace_context) if envelope is not None else {}


class _Worker(ABC):
    """A thread that runs `run_once` every `relay_interval_s` until stopped. `run_once`
    may also be called directly (tests); a lock keeps passes from overlapping."""

    name = "worker"

    def __init__(self, platform: Platform, *, batch: int = 100) -> None:
        self.platform = platform
        self.batch = batch
        self._stopping = threading.Event()
        self._pass_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._topics_ready = False

    def start(self) -> None:
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._loop, daemon=True, name=f"liuhen-routing-{self.name}"
        )
        self._thread.start()

    def stop(self, timeout_s: float = 30.0) -> None:
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            if self._thread.is_alive():
                log.error("%s did not stop within %.0f s", self.name, timeout_s)
            self._thread = None
        if self._pass_lock.acquire(timeout=timeout_s):  # a stuck pass keeps its consumers
            try:
                self._close()
            finally:
                self._pass_lock.release()

    def run_once(self) -> int:
        """One pass over every tenant; returns how many messages it moved."""
        with self._pass_lock:
            if not self._ensure_topics():
                return 0
            return self._pass()

    @property
    def interval_s(self) -> float:
        return self.platform.settings.relay_interval_s

    def _loop(self) -> None:
        while not self._stopping.is_set():
            try:
                self.run_once()
            except Exception:  # the thread must outlive any one bad pass
                log.exception("%s pass failed; retrying next round", self.name)
            self._stopping.wait(self.interval_s)

    def _ensure_topics(self) -> bool:
        if not self._topics_ready:
            try:
                self.platform.messages.ensure_topics(all_topics())
            except MessageLogError as exc:
                log.warning("could not create the site topics (%s); retrying", exc)
                return False
            self._topics_ready = True
        return True

    def _tenants(self) -> list[str]:
        return list(sites())

    @abstractmethod
    def _pass(self) -> int: ...

    @abstractmethod
    def _close(self) -> None: ...


class OutboxRelay(_Worker):
    """Publishes pending outbox rows oldest first; marks a row sent only once the log has
    acknowledged it. A failed publish leaves the row pending for the next round (and
    holds back later rows to the same topic, so each topic keeps its order)."""

    name = "relay"

    def _pass(self) -> int:
        sent = 0
        for tenant in self._tenants():
            if self._stopping.is_set():
                break
            with self.platform.db.unit_of_work(tenant) as uow:
                rows = handlers.pending_outbox(uow, self.batch)
            held: set[str] = set()
            for row in rows:
                if row.topic in held:
                    continue
                if self._publish(tenant, row):
                    sent += 1
                else:
                    held.add(row.topic)
        return sent

    def _close(self) -> None:
        """The relay holds nothing open between passes."""

    def _publish(self, tenant: str, row: handlers.Queued) -> bool:
        envelope = handlers.parse(row.envelope)
        with telemetry.tracer().start_as_current_span(
            f"publish {row.type}",
            context=telemetry.extract(_trace_context(envelope)),
            kind=trace.SpanKind.PRODUCER,
        ) as span:
            span.set_attribute("liuhen.message_id", row.message_id)
            headers = telemetry.inject({"liuhen-type": row.type, "liuhen-sender": tenant})
            try:
                offset = self.platform.messages.publish(
                    row.topic, key=row.message_id, value=row.envelope, headers=headers
                )
            except MessageLogError as exc:
                log.warning(
                    "publish of %s from %s to %s failed, kept pending: %s",
                    row.message_id,
                    tenant,
                    row.topic,
                    exc,
                )
                return False
        with self.platform.db.unit_of_work(tenant) as uow:
            handlers.mark_sent(uow, message_id=row.message_id, offset=offset)
            uow.commit()
        return True


class InboxConsumer(_Worker):
    """One consumer per tenant (group `routing.<tenant>`, topic `liuhen.site.<tenant>`).
    Each record is stored in the inbox and that transaction committed before the offset
    is; then each message of a type in model.INBOUND is applied through the service
    that owns it (cases: documents for a case; intake: transfers, designations,
    disputes). One that service cannot take for good goes dead; one it could not take
    now is retried with a growing delay."""

    name = "inbox"

    def __init__(
        self,
        platform: Platform,
        *,
        batch: int = 100,
        poll_timeout_s: float = 0.0,
        call_timeout_s: float = 10.0,
        sweep_interval_s: float | None = None,
    ) -> None:
        super().__init__(platform, batch=batch)
        self.poll_timeout_s = poll_timeout_s
        self.call_timeout_s = call_timeout_s
        # How often each tenant's inbox is swept for messages still to apply (besides
        # after a delivery, or when a retry falls due): catches rows another replica
        # stored or this one left behind before a restart.
        self.sweep_interval_s = (
            sweep_interval_s
            if sweep_interval_s is not None
            else max(1.0, 10 * platform.settings.relay_interval_s)
        )
        self._sweep_due: dict[str, float] = {}
        self._consumers: dict[str, LogConsumer] = {}
        self._attempts: dict[str, int] = {}
        self._retry_at: dict[str, float] = {}
        self._cases: cases_internal_pb2_grpc.CasesInternalServiceStub | None = None
        self._intake: intake_internal_pb2_grpc.IntakeInternalServiceStub | None = None
        self._enforcement: enforcement_internal_pb2_grpc.EnforcementInternalServiceStub | None = (
            None
        )

    def _pass(self) -> int:
        moved = 0
        for tenant in self._tenants():
            if self._stopping.is_set():
                break
            stored = self._drain(tenant)
            moved += stored + self._apply_received(tenant, swept_now=stored > 0)
        return moved

    def _close(self) -> None:
        for consumer in self._consumers.values():
            consumer.close()
        self._consumers.clear()

    def _consumer(self, tenant: str) -> LogConsumer:
        if tenant not in self._consumers:
            self._consumers[tenant] = self.platform.messages.consumer(
                f"routing.{tenant}", [topic_for_site(tenant)]
            )
        return self._consumers[tenant]

    def _drain(self, tenant: str) -> int:
        try:
            consumer = self._consumer(tenant)
            records = consumer.poll(max_records=self.batch, timeout_s=self.poll_timeout_s)
        except MessageLogError as exc:
            log.warning("could not read %s: %s", topic_for_site(tenant), exc)
            return 0
        stored = 0
        # Offsets are committed once per poll, after every record before them is stored
        # (the last stored record of each partition): a commit is a round trip to the
        # log, and per record it cost as much as storing the record (docs/performance.md).
        done: dict[tuple[str, int], LogRecord] = {}
        for record in records:
            try:
                stored += self._receive(tenant, record)
            except Exception:
                # Not stored, so its offset must not be committed: drop the consumer so
                # the next round starts again from the group's committed offset.
                log.exception(
                    "could not store record %s@%d of %s; will re-read it",
                    record.topic,
                    record.offset,
                    tenant,
                )
                self._commit(consumer, done)
                consumer.close()
                del self._consumers[tenant]
                return stored
            done[(record.topic, record.partition)] = record
        self._commit(consumer, done)
        return stored

    @staticmethod
    def _commit(consumer: LogConsumer, done: dict[tuple[str, int], LogRecord]) -> None:
        for record in done.values():
            try:
                consumer.commit(record)
            except MessageLogError as exc:  # stored: a redelivery is a duplicate
                log.warning("offset commit for %s@%d failed: %s", record.topic, record.offset, exc)

    def _receive(self, tenant: str, record: LogRecord) -> int:
        envelope = handlers.parse(record.value)
        with telemetry.tracer().start_as_current_span(
            f"receive {envelope.type if envelope else 'record'}",
            # The producer's span context rides in the record's headers (DESIGN §7).
            context=telemetry.extract(record.headers or _trace_context(envelope)),
            kind=trace.SpanKind.CONSUMER,
        ) as span:
            span.set_attribute("liuhen.tenant", tenant)
            try:
                with self.platform.db.unit_of_work(tenant) as uow:
                    verdict, key = handlers.receive(uow, raw=record.value, envelope=envelope)
                    uow.commit()
            except IntegrityError:  # another routing replica stored it first
                return 0
            if verdict.action == "dead":
                log.warning("dead letter %s in %s's inbox: %s", key, tenant, verdict.reason)
            return 0 if verdict.action == "duplicate" else 1

    def _apply_received(self, tenant: str, *, swept_now: bool) -> int:
        """Apply the tenant's received messages whose retry (if any) is due."""
        now = time.monotonic()
        if not swept_now and self._sweep_due.get(tenant, 0.0) > now:
            return 0
        self._sweep_due[tenant] = now + self.sweep_interval_s
        with self.platform.db.unit_of_work(tenant) as uow:
            rows = handlers.to_apply(uow)
        applied = 0
        for row in rows:
            retry_at = self._retry_at.get(row.message_id, 0.0)
            if retry_at <= now:
                applied += self._apply(tenant, row)
            else:
                self._sweep_due[tenant] = min(self._sweep_due[tenant], retry_at)
        return applied

    def _cases_stub(self) -> cases_internal_pb2_grpc.CasesInternalServiceStub:
        if self._cases is None:
            self._cases = cases_internal_pb2_grpc.CasesInternalServiceStub(
                self.platform.channel("cases")
            )
        return self._cases

    def _intake_stub(self) -> intake_internal_pb2_grpc.IntakeInternalServiceStub:
        if self._intake is None:
            self._intake = intake_internal_pb2_grpc.IntakeInternalServiceStub(
                self.platform.channel("intake")
            )
        return self._intake

    def _enforcement_stub(self) -> enforcement_internal_pb2_grpc.EnforcementInternalServiceStub:
        if self._enforcement is None:
            self._enforcement = enforcement_internal_pb2_grpc.EnforcementInternalServiceStub(
                self.platform.channel("enforcement")
            )
        return self._enforcement

    def _to_enforcement(self, tenant: str, envelope: routing_pb2.Envelope, how: Apply) -> str:
        """The entrusted site's 送达回执 or refusal, onto this site's entrustment (Art 37(5))."""
        response = call_sibling(
            self._enforcement_stub().RecordEntrustmentAnswer,
            enforcement_internal_pb2.RecordEntrustmentAnswerRequest(
                request_id=envelope.message_id,
                case=envelope.case_ref,
                message_type=envelope.type,
                from_site=envelope.sender,
                correlation_id=envelope.correlation_id,
                payload_json=envelope.payload_json,
            ),
            self.platform.as_service(tenant),
            timeout=self.call_timeout_s,
        )
        return f"recorded on {response.entrustment.name} ({key_of(response.entrustment)})"

    def _to_case(self, tenant: str, envelope: routing_pb2.Envelope, how: Apply) -> str:
        """A document for one of this site's cases: the 协查回函 (Art 21(3)), the psb's
        receipt, filing and reconsideration decisions (Art 30), a court's ruling."""
        response = call_sibling(
            self._cases_stub().RecordInboundDocument,
            cases_internal_pb2.RecordInboundDocumentRequest(
                request_id=envelope.message_id,
                case=envelope.case_ref,
                type=how.document_type,
                content_json=envelope.payload_json,
                from_site=envelope.sender,
                correlation_id=envelope.correlation_id,
            ),
            self.platform.as_service(tenant),
            timeout=self.call_timeout_s,
        )
        return f"recorded on the case as {response.document.name}"

    def _to_intake(self, tenant: str, envelope: routing_pb2.Envelope, how: Apply) -> str:
        """A transfer, a designation or a dispute makes an intake here (Art 12-15)."""
        response = call_sibling(
            self._intake_stub().RecordInboundIntake,
            intake_internal_pb2.RecordInboundIntakeRequest(
                request_id=envelope.message_id,
                message_type=envelope.type,
                from_site=envelope.sender,
                sender_intake=envelope.case_ref,
                payload_json=envelope.payload_json,
            ),
            self.platform.as_service(tenant),
            timeout=self.call_timeout_s,
        )
        return f"registered as {response.intake.name}"

    def _to_ledger(self, tenant: str, envelope: routing_pb2.Envelope, how: Apply) -> str:
        """A site's checkpoint (here, its witness) or the witness's cosignature."""
        p = self.platform
        return witnessing.apply_message(
            p.db,
            p.log_keys,
            p.archive,
            tenant,
            type=envelope.type,
            sender=envelope.sender,
            payload=envelope.payload_json,
        )

    def _apply(self, tenant: str, row: handlers.Queued) -> int:
        """Hand a received message to the service that applies it (model.INBOUND); the
        message id is the request id, so a repeated attempt is applied once."""
        envelope = routing_pb2.Envelope.FromString(row.envelope)
        how = INBOUND[row.type]
        appliers = {
            "cases": self._to_case,
            "intake": self._to_intake,
            "enforcement": self._to_enforcement,
            "ledger": self._to_ledger,
        }
        with telemetry.tracer().start_as_current_span(
            f"apply {row.type}",
            context=telemetry.extract(_trace_context(envelope)),
            kind=trace.SpanKind.CONSUMER,
        ):
            try:
                detail = appliers[how.service](tenant, envelope, how)
            except LiuhenError as exc:
                return self._failed(tenant, row.message_id, exc.code, str(exc))
            except Exception as exc:  # e.g. no service token: try again later
                log.exception("applying %s in %s failed", row.message_id, tenant)
                return self._failed(tenant, row.message_id, "UNKNOWN", repr(exc))
        self._forget(row.message_id)
        with self.platform.db.unit_of_work(tenant) as uow:
            handlers.settle(uow, message_id=row.message_id, state=APPLIED, detail=detail)
            uow.commit()
        return 1

    def _failed(self, tenant: str, message_id: str, code: str, reason: str) -> int:
        state = after_apply_error(code)
        if state == DEAD:
            self._forget(message_id)
            log.warning("dead letter %s in %s's inbox: %s", message_id, tenant, reason)
            detail = f"could not be applied ({code}): {reason}"
        else:
            attempts = self._attempts.get(message_id, 0) + 1
            self._attempts[message_id] = attempts
            delay = backoff_s(attempts, self.platform.settings.relay_interval_s)
            retry_at = time.monotonic() + delay
            self._retry_at[message_id] = retry_at
            self._sweep_due[tenant] = min(self._sweep_due.get(tenant, retry_at), retry_at)
            log.warning(
                "applying %s in %s failed (%s), retry in %.1f s: %s",
                message_id,
                tenant,
                code,
                delay,
                reason,
            )
            detail = f"attempt {attempts} failed ({code}): {reason}; will retry"
        with self.platform.db.unit_of_work(tenant) as uow:
            handlers.settle(uow, message_id=message_id, state=state, detail=detail)
            uow.commit()
        return 0

    def _forget(self, message_id: str) -> None:
        self._attempts.pop(message_id, None)
        self._retry_at.pop(message_id, None)


class CheckpointSigner(_Worker):
    """Signs each site's tree head every `checkpoint_interval_s` when its log grew, and
    sends it to the witness (DESIGN §4; seed Art 45)."""

    name = "checkpoints"

    @property
    def interval_s(self) -> float:
        return self.platform.settings.checkpoint_interval_s

    def _pass(self) -> int:
        p, signed = self.platform, 0
        for tenant in self._tenants():
            if self._stopping.is_set():
                break
            result = witnessing.publish_checkpoint(p.db, p.log_keys, p.archive, tenant)
            signed += bool(result is not None and result.new)
        return signed

    def _close(self) -> None:
        """Nothing is held open between passes."""
