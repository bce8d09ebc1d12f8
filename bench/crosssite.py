"""Cross-site: an assistance request (Art 21) written to jiangan's outbox, as the cases
service writes it in the command's transaction (`outbox.enqueue`), until it is stored in
hongshan's inbox (the assisting site's ledger record written and committed), through the
routing service's own workers (OutboxRelay, InboxConsumer) in a process of their own, on
Kafka (stack) or the embedded log. At 100 msg/s (`LIUHEN_BENCH_RATE`) and at the highest
rate one sender reaches; beside a bare produce → consume loop on the same log (Kafka:
kafka-python with the relay's producer settings; embedded: the SQLite log), measured in
the same run; and at 2 msg/s (`LIUHEN_BENCH_LOW_RATE`), below what the path sustains
here, for its latency without a queue. Reports p50/p99 latency, the sustained rate and
the ratios.

On the shared stack the workers' consumers use consumer groups of this run, positioned
at the end of each site topic first: the sites' own groups (`routing.<site>`) belong to
the other sessions' routing services. The relay and consumer are otherwise the routing
service's, with its interval (`Settings.relay_interval_s`), over all fourteen sites.
The inbox is watched every 5 ms (the latency's resolution).

Run: `python -m bench.crosssite` (or `make bench`, `make bench-stack`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from bench.common import emit, pct, profile, seconds
from bench.procs import profile_env, spied

SENDER, RECIPIENT = "jiangan", "hongshan"
RATE = float(os.environ.get("LIUHEN_BENCH_RATE", "100"))
# A rate well below what the path sustains here: its latency without a queue.
LOW_RATE = float(os.environ.get("LIUHEN_BENCH_LOW_RATE", "2"))
WATCH_S = 0.005


# --- the routing workers, in a process of their own -----------------------------------


def serve() -> None:
    """The child: the routing service's relay and inbox consumer until stdin closes."""
    from liuhen.platform.bootstrap import bootstrap
    from liuhen.platform.config import Settings
    from liuhen.platform.outbox import topic_for_site
    from services.routing.relay import InboxConsumer, OutboxRelay

    group = os.environ["LIUHEN_BENCH_GROUP"]
    platform = bootstrap(Settings.from_env(services=("routing",)), "routing")

    class Consumer(InboxConsumer):
        def _consumer(self, tenant: str) -> Any:
            if tenant not in self._consumers:
                self._consumers[tenant] = self.platform.messages.consumer(
                    f"{group}.{tenant}", [topic_for_site(tenant)]
                )
            return self._consumers[tenant]

    workers = [OutboxRelay(platform), Consumer(platform)]
    for w in workers:
        w.start()
    print("ready", flush=True)
    sys.stdin.read()
    for w in workers:
        w.stop()


def position_groups_at_end(bootstrap: str, group: str) -> None:
    """Commit, for this run's group of each site, the end of the site's topic."""
    from kafka import KafkaConsumer, TopicPartition
    from kafka.structs import OffsetAndMetadata

    from liuhen.platform.catalogue import sites
    from liuhen.platform.outbox import topic_for_site

    for tenant in sites():
        tp = TopicPartition(topic_for_site(tenant), 0)
        c = KafkaConsumer(
            bootstrap_servers=bootstrap, group_id=f"{group}.{tenant}", enable_auto_commit=False
        )
        try:
            end = c.end_offsets([tp])[tp]
            c.commit({tp: OffsetAndMetadata(end, "", -1)})
        finally:
            c.close()


# --- the measured path ----------------------------------------------------------------


def routed(db: Any, rate: float, duration: float) -> dict[str, Any]:
    """Send for `duration` s at `rate`/s (inf: as fast as one sender commits), watch the
    recipient's inbox until every message is there (or 60 s after the last)."""
    from sqlalchemy import select

    from liuhen.platform import outbox
    from liuhen.platform.outbox import InboxRow

    committed: dict[str, float] = {}
    seen: dict[str, float] = {}
    lock, done = threading.Lock(), threading.Event()
    payload = json.dumps({"request": {"matters": "核实工资发放"}, "case_number": "bench"})

    def send() -> None:
        t0 = time.perf_counter()
        i = 0
        while time.perf_counter() - t0 < duration:
            if rate != float("inf"):
                wait = t0 + i / rate - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
            with db.unit_of_work(SENDER) as uow:
                env = outbox.enqueue(
                    uow,
                    type="assistance_request",
                    recipient=RECIPIENT,
                    case_ref="cases/bench",
                    case_number="bench",
                    payload_json=payload,
                )
                uow.commit()
            with lock:
                committed[env.message_id] = time.perf_counter()
            i += 1
        done.set()

    def watch() -> None:
        last_change = time.perf_counter()
        while True:
            with lock:
                waiting = [m for m in committed if m not in seen]
            if done.is_set() and not waiting:
                return
            if done.is_set() and time.perf_counter() - last_change > 60:
                return
            for start in range(0, len(waiting), 500):
                with db.unit_of_work(RECIPIENT) as uow:
                    found = uow.session.scalars(
                        select(InboxRow.message_id).where(
                            InboxRow.tenant_id == RECIPIENT,
                            InboxRow.message_id.in_(waiting[start : start + 500]),
                        )
                    ).all()
                now = time.perf_counter()
                for m in found:
                    seen[m] = now
                if found:
                    last_change = now
            time.sleep(WATCH_S)

    threads = [threading.Thread(target=send), threading.Thread(target=watch)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return summary(committed, seen)


def summary(sent: dict[str, float], arrived: dict[str, float]) -> dict[str, Any]:
    lat = [arrived[m] - sent[m] for m in sent if m in arrived]
    first = min(sent.values()) if sent else 0.0
    last_sent = max(sent.values()) if sent else 0.0
    last = max(arrived.values()) if arrived else first
    return {
        "sent": len(sent),
        "arrived": len(lat),
        "offered_per_s": round(len(sent) / max(last_sent - first, 1e-9), 1),
        "sustained_per_s": round(len(lat) / max(last - first, 1e-9), 1),
        "p50_ms": round(pct(lat, 50), 1) if lat else None,
        "p99_ms": round(pct(lat, 99), 1) if lat else None,
        "max_ms": round(max(lat) * 1000, 1) if lat else None,
    }


# --- the bare loop on the same log ------------------------------------------------------


def bare(log: Any, topic: str, rate: float, duration: float, kafka: bool) -> dict[str, Any]:
    """Produce (each acknowledged before the next, as the relay does) and consume in
    another thread; latency from the acknowledged produce to the record polled."""
    sent: dict[str, float] = {}
    arrived: dict[str, float] = {}
    done = threading.Event()
    ready = threading.Event()

    def consume() -> None:
        if kafka:
            from kafka import KafkaConsumer

            c = KafkaConsumer(
                topic,
                bootstrap_servers=log,
                group_id=f"g-{topic}",
                auto_offset_reset="earliest",
                enable_auto_commit=False,
            )
            while not c.assignment():
                c.poll(timeout_ms=100)
            ready.set()
            idle_since = None
            while True:
                batches = c.poll(timeout_ms=100, max_records=500)
                now = time.perf_counter()
                for batch in batches.values():
                    for r in batch:
                        arrived[r.key.decode()] = now
                if done.is_set() and len(arrived) >= len(sent):
                    break
                if done.is_set() and not batches:
                    idle_since = idle_since or now
                    if now - idle_since > 30:
                        break
            c.close()
        else:
            c = log.consumer(f"g-{topic}", [topic])
            ready.set()
            while not (done.is_set() and len(arrived) >= len(sent)):
                records = c.poll(max_records=500, timeout_s=0.1)
                now = time.perf_counter()
                for r in records:
                    arrived[r.key] = now

    def produce() -> None:
        ready.wait()
        if kafka:
            from kafka import KafkaProducer

            p = KafkaProducer(
                bootstrap_servers=log,
                acks="all",
                enable_idempotence=True,
                linger_ms=0,
                max_in_flight_requests_per_connection=5,
            )
        value = b"x" * 600
        t0 = time.perf_counter()
        i = 0
        while time.perf_counter() - t0 < duration:
            if rate != float("inf"):
                wait = t0 + i / rate - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
            key = str(uuid.uuid4())
            if kafka:
                p.send(topic, value=value, key=key.encode()).get(timeout=30)
            else:
                log.publish(topic, key, value, {})
            sent[key] = time.perf_counter()
            i += 1
        if kafka:
            p.close()
        done.set()

    threads = [threading.Thread(target=consume), threading.Thread(target=produce)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return summary(sent, arrived)


def bare_runs(settings: Any, home: Path, duration: float) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    if profile() == "stack":
        from kafka import KafkaAdminClient
        from kafka.admin import NewTopic

        admin = KafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap)
        for name, rate in (("rate", RATE), ("max", float("inf"))):
            topic = f"liuhen.bench.{uuid.uuid4().hex[:12]}"
            admin.create_topics([NewTopic(topic, 1, 1)])
            try:
                out[name] = bare(settings.kafka_bootstrap, topic, rate, duration, kafka=True)
            finally:
                admin.delete_topics([topic])
        admin.close()
    else:
        from liuhen.platform.messages import SqliteMessageLog

        log = SqliteMessageLog(home / "bare-messages.db")
        for name, rate in (("rate", RATE), ("max", float("inf"))):
            topic = f"liuhen.bench.{name}"
            log.ensure_topics([topic])
            out[name] = bare(log, topic, rate, duration, kafka=False)
        log.close()
    return out


def main() -> None:
    from liuhen.platform.db import Database
    from services.run import prepare_schema

    duration = seconds(10.0)
    home = Path(tempfile.mkdtemp(prefix="liuhen-bench-"))
    group = f"bench.{uuid.uuid4().hex[:8]}"
    try:
        settings, env = profile_env(home)
        prepare_schema(settings)
        if profile() == "stack":
            position_groups_at_end(settings.kafka_bootstrap, group)
        child = subprocess.Popen(
            [sys.executable, "-c", "from bench.crosssite import serve; serve()"],
            env={**env, "LIUHEN_BENCH_GROUP": group},
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            if not child.stdout or child.stdout.readline().strip() != "ready":
                raise RuntimeError("the routing workers did not start")
            db = Database(settings.db_url())
            routed(db, 5, 2.0)  # warm up: topics, consumers joined, connections
            at_low = routed(db, LOW_RATE, duration)
            with spied("crosssite-routing", child.pid):
                at_rate = routed(db, RATE, duration)
                at_max = routed(db, float("inf"), duration)
        finally:
            if child.stdin:
                child.stdin.close()
            child.wait(60)
        base = bare_runs(settings, home, duration)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    log = "Kafka" if profile() == "stack" else "embedded log"
    ratio = at_max["sustained_per_s"] / base["max"]["sustained_per_s"]
    met = (at_rate["p50_ms"] or 1e9) <= 50 and ratio >= 0.5
    emit(
        "crosssite",
        f"assistance request {SENDER} → {RECIPIENT}'s inbox on {log}: at {RATE:.0f}/s "
        f"p50 {at_rate['p50_ms']} ms p99 {at_rate['p99_ms']} ms ({at_rate['arrived']} of "
        f"{at_rate['sent']}), at {LOW_RATE:.0f}/s p50 {at_low['p50_ms']} ms p99 "
        f"{at_low['p99_ms']} ms | as fast as possible: offered {at_max['offered_per_s']}/s, "
        f"sustained {at_max['sustained_per_s']}/s, p50 {at_max['p50_ms']} ms | bare loop: at "
        f"{RATE:.0f}/s p50 {base['rate']['p50_ms']} ms p99 {base['rate']['p99_ms']} ms, "
        f"sustained {base['max']['sustained_per_s']}/s (ratio {ratio:.3f})",
        log=log,
        rate=RATE,
        seconds=duration,
        at_rate=at_rate,
        low_rate=LOW_RATE,
        at_low_rate=at_low,
        at_max=at_max,
        bare_at_rate=base["rate"],
        bare_at_max=base["max"],
        ratio_sustained=round(ratio, 3),
        ratio_p50=round((at_rate["p50_ms"] or 0) / (base["rate"]["p50_ms"] or 1), 1),
        target_met=met,
    )


if __name__ == "__main__":
    main()
