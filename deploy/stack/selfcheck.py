#!/usr/bin/env python3
"""Proves that each server of the local stack (deploy/stack/stack.sh) works.

Stdlib only, plus — when installed — psycopg (else the psql CLI), kafka-python and
minio; a check whose library is missing is reported as SKIP. Exit status 1 when a
check fails. Endpoints follow `stack.sh env` (LIUHEN_* variables override them).

    python3 deploy/stack/selfcheck.py [postgres|kafka|rgw|keycloak ...]
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import subprocess
import sys
import time
import traceback
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta


def _stack_env() -> dict[str, str]:
    """The stack's addresses and ports as stack.sh prints them (they live there alone),
    each overridden by the environment."""
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stack.sh")

    def lines(command: str) -> list[str]:
        return subprocess.run(
            ["bash", script, command], capture_output=True, text=True, check=True
        ).stdout.splitlines()

    env = dict(line.removeprefix("export ").split("=", 1) for line in lines("env"))
    env.update(line.split() for line in lines("ports"))
    return {key: os.environ.get(key, value) for key, value in env.items()}


ENV = _stack_env()
PG_HOST, PG_PORT = "127.0.0.1", int(ENV["LIUHEN_STACK_PG_PORT"])
KAFKA = ENV["LIUHEN_KAFKA_BOOTSTRAP"]
S3_PRIMARY = ENV["LIUHEN_S3_ENDPOINT"]
S3_OFFSITE = ENV["LIUHEN_S3_OFFSITE_ENDPOINT"]
S3_KEY = ENV["LIUHEN_S3_ACCESS_KEY"]
S3_SECRET = ENV["LIUHEN_S3_SECRET_KEY"]
S3_ADMIN_KEY = ENV["LIUHEN_S3_ADMIN_ACCESS_KEY"]
S3_ADMIN_SECRET = ENV["LIUHEN_S3_ADMIN_SECRET_KEY"]
KEYCLOAK = ENV["LIUHEN_KEYCLOAK_URL"]

TAG = f"selfcheck-{int(time.time())}-{uuid.uuid4().hex[:6]}"


class Skip(Exception):
    pass


def say(msg: str) -> None:
    print(f"    {msg}", flush=True)


# ------------------------------------------------------------------ postgres --------


def check_postgres() -> None:
    table = TAG.replace("-", "_")
    owner_sql = [
        f"CREATE TABLE {table} (tenant text NOT NULL, v text)",
        f"INSERT INTO {table} VALUES ('jiangan', 'a'), ('hongshan', 'b')",
        f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY",
        f"CREATE POLICY p ON {table} USING (tenant = current_setting('liuhen.tenant', true))",
        f"GRANT SELECT ON {table} TO liuhen_app",
    ]
    app_sql = [
        "SELECT current_user, r.rolsuper, r.rolbypassrls FROM pg_roles r"
        " WHERE r.rolname = current_user",
        "SELECT set_config('liuhen.tenant', 'jiangan', false)",
        f"SELECT tenant, v FROM {table} ORDER BY 1",
    ]
    try:
        import psycopg  # type: ignore
    except ImportError:
        psycopg = None

    if psycopg is not None:
        owner = psycopg.connect(
            host=PG_HOST,
            port=PG_PORT,
            dbname="liuhen",
            user="liuhen_owner",
            password="liuhen_owner",
            autocommit=True,
        )
        app = psycopg.connect(
            host=PG_HOST,
            port=PG_PORT,
            dbname="liuhen",
            user="liuhen_app",
            password="liuhen_app",
            autocommit=True,
        )
        try:
            for s in owner_sql:
                owner.execute(s)
            who = app.execute(app_sql[0]).fetchone()
            app.execute(app_sql[1])
            rows = app.execute(app_sql[2]).fetchall()
            try:
                app.execute("CREATE TABLE selfcheck_forbidden (x int)")
                created = True
            except psycopg.errors.InsufficientPrivilege:
                created = False
        finally:
            owner.execute(f"DROP TABLE IF EXISTS {table}")
            owner.close()
            app.close()
        via = f"psycopg {psycopg.__version__}"
    else:

        def psql(user: str, sql: str, ok: bool = True) -> str:
            env = dict(os.environ, PGPASSWORD=user)
            p = subprocess.run(
                [
                    "psql",
                    "-X",
                    "-At",
                    "-h",
                    PG_HOST,
                    "-p",
                    str(PG_PORT),
                    "-U",
                    user,
                    "-d",
                    "liuhen",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-c",
                    sql,
                ],
                env=env,
                capture_output=True,
                text=True,
            )
            if ok and p.returncode:
                raise RuntimeError(p.stderr)
            return p.stdout if p.returncode == 0 else "ERROR " + p.stderr

        try:
            for s in owner_sql:
                psql("liuhen_owner", s)
            who = tuple(psql("liuhen_app", app_sql[0]).strip().split("|"))
            out = psql("liuhen_app", f"{app_sql[1]}; {app_sql[2]}").strip().splitlines()
            rows = [tuple(line.split("|")) for line in out if "|" in line]
            created = not psql(
                "liuhen_app", "CREATE TABLE selfcheck_forbidden (x int)", ok=False
            ).startswith("ERROR")
        finally:
            psql("liuhen_owner", f"DROP TABLE IF EXISTS {table}", ok=False)
        via = "psql CLI (psycopg not installed)"
    say(f"connected as {who[0]} (superuser={who[1]}, bypassrls={who[2]}) via {via}")
    say(f"RLS as liuhen_app with liuhen.tenant=jiangan sees {rows}")
    assert (
        who[0] == "liuhen_app"
        and str(who[1]).lower() in ("false", "f")
        and str(who[2]).lower() in ("false", "f")
    )
    assert [tuple(r) for r in rows] == [("jiangan", "a")], rows
    assert not created, "liuhen_app could create a table in public"
    say("liuhen_app may not CREATE in schema public (owner is liuhen_owner)")


# --------------------------------------------------------------------- kafka --------


def check_kafka() -> None:
    try:
        from kafka import KafkaConsumer, KafkaProducer  # type: ignore
        from kafka.admin import KafkaAdminClient, NewTopic  # type: ignore
    except ImportError:
        raise Skip("kafka-python not installed") from None
    topic = TAG
    admin = KafkaAdminClient(bootstrap_servers=KAFKA, client_id="selfcheck")
    admin.create_topics([NewTopic(name=topic, num_partitions=1, replication_factor=1)])
    try:
        value = f"hello from {TAG}".encode()
        producer = KafkaProducer(bootstrap_servers=KAFKA, acks="all")
        md = producer.send(topic, key=b"k1", value=value, headers=[("h", b"1")]).get(timeout=30)
        producer.close()
        say(f"produced to {md.topic}[{md.partition}]@{md.offset}")
        consumer = KafkaConsumer(
            topic,
            bootstrap_servers=KAFKA,
            group_id=f"{TAG}-g",
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            consumer_timeout_ms=30000,
        )
        got = None
        for rec in consumer:
            got = rec
            break
        consumer.commit()
        consumer.close()
        assert got is not None, "no record consumed within 30 s"
        assert got.value == value and got.key == b"k1", got
        say(f"consumed {got.value!r} key={got.key!r} headers={got.headers} (group {TAG}-g)")
    finally:
        admin.delete_topics([topic])
        admin.close()
    try:  # auto.create.topics.enable=false: a producer to an unknown topic must fail
        p = KafkaProducer(bootstrap_servers=KAFKA, max_block_ms=3000)
        p.send(f"{TAG}-nonexistent", b"x").get(timeout=5)
        raise AssertionError("topic was auto-created")
    except AssertionError:
        raise
    except Exception as exc:
        say(f"unknown topic not auto-created ({type(exc).__name__})")


# ----------------------------------------------------------------------- rgw --------


def _retention_xml(client, bucket: str, name: str, version_id: str) -> dict:
    """Read object retention through a presigned URL and parse the XML ourselves:
    RGW writes RetainUntilDate with nanoseconds, which Minio.get_object_retention
    cannot parse."""
    url = client.get_presigned_url(
        "GET",
        bucket,
        name,
        expires=timedelta(minutes=5),
        extra_query_params={"retention": "", "versionId": version_id},
    )
    with urllib.request.urlopen(url, timeout=10) as r:
        root = ET.fromstring(r.read())
    ns = root.tag.split("}")[0] + "}" if root.tag.startswith("{") else ""
    return {
        "Mode": root.findtext(f"{ns}Mode"),
        "RetainUntilDate": root.findtext(f"{ns}RetainUntilDate"),
    }


def check_rgw() -> None:
    try:
        from minio import Minio  # type: ignore
        from minio.commonconfig import COMPLIANCE  # type: ignore
        from minio.error import S3Error  # type: ignore
        from minio.retention import Retention  # type: ignore
    except ImportError:
        raise Skip("minio not installed") from None
    primary = Minio(S3_PRIMARY, access_key=S3_KEY, secret_key=S3_SECRET, secure=False)
    offsite = Minio(S3_OFFSITE, access_key=S3_KEY, secret_key=S3_SECRET, secure=False)
    bucket, name = TAG, "evidence/recording.bin"
    data = os.urandom(1024 * 1024 + 17)
    digest = hashlib.sha256(data).hexdigest()
    primary.make_bucket(bucket, object_lock=True)
    say(f"bucket {bucket} (object lock) at primary; location {primary._get_region(bucket)!r}")
    until = (datetime.now(UTC) + timedelta(minutes=10)).replace(microsecond=0)
    res = primary.put_object(
        bucket, name, io.BytesIO(data), len(data), retention=Retention(COMPLIANCE, until)
    )
    vid = res.version_id
    say(f"put {name} {len(data)} bytes sha256={digest[:16]}... version={vid}")
    ret = _retention_xml(primary, bucket, name, vid)
    say(f"retention (raw XML): {ret}")
    assert ret["Mode"] == "COMPLIANCE", ret

    def refused(client, who: str) -> None:
        try:
            client.remove_object(bucket, name, version_id=vid)
        except S3Error as e:
            say(f"delete of the locked version by {who} refused: {e.code}")
            assert e.code == "AccessDenied", e.code
            return
        raise AssertionError(f"{who} deleted a COMPLIANCE-locked version")

    refused(primary, "liuhen-app at primary")
    # shortening COMPLIANCE retention is refused too
    try:
        primary.set_object_retention(
            bucket, name, Retention(COMPLIANCE, until - timedelta(minutes=5)), version_id=vid
        )
        raise AssertionError("COMPLIANCE retention was shortened")
    except S3Error as e:
        say(f"shortening retention refused: {e.code}")

    # the off-site zone gets a byte-identical copy through multisite sync
    t0 = time.monotonic()
    while True:
        try:
            resp = offsite.get_object(bucket, name, version_id=vid)
            got = resp.read()
            resp.close()
            resp.release_conn()
            break
        except S3Error as e:
            if time.monotonic() - t0 > 60:
                raise AssertionError(f"object not at offsite after 60 s: {e.code}") from e
            time.sleep(1)
    odigest = hashlib.sha256(got).hexdigest()
    say(
        f"offsite copy after {time.monotonic() - t0:.1f}s sha256={odigest[:16]}..."
        f" match={odigest == digest}"
    )
    assert odigest == digest
    refused(offsite, "liuhen-app at offsite")

    # an administrator is refused the same on its own locked bucket
    admin = Minio(S3_PRIMARY, access_key=S3_ADMIN_KEY, secret_key=S3_ADMIN_SECRET, secure=False)
    abucket = f"{TAG}-admin"
    admin.make_bucket(abucket, object_lock=True)
    r2 = admin.put_object(
        abucket, "x", io.BytesIO(b"locked"), 6, retention=Retention(COMPLIANCE, until)
    )
    try:
        admin.remove_object(abucket, "x", version_id=r2.version_id)
        raise AssertionError("admin deleted a COMPLIANCE-locked version")
    except S3Error as e:
        say(f"delete of a locked version by liuhen-admin refused: {e.code}")
    try:
        primary.get_object_retention(bucket, name, version_id=vid)
        say("note: Minio.get_object_retention parsed RGW's answer")
    except Exception as exc:
        say(
            "known quirk: Minio.get_object_retention fails on RGW's date: "
            f"{type(exc).__name__}: {exc}"
        )


# ------------------------------------------------------------------ keycloak --------


def _token(realm: str, form: dict) -> dict:
    url = f"{KEYCLOAK}/realms/{realm}/protocol/openid-connect/token"
    req = urllib.request.Request(url, data=urllib.parse.urlencode(form).encode(), method="POST")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.loads(r.read())


def _claims(jwt: str) -> dict:
    payload = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def check_keycloak() -> None:
    keys = (
        "iss",
        "aud",
        "azp",
        "sub",
        "preferred_username",
        "name",
        "email",
        "realm_access",
        "certificate_no",
        "exp",
        "iat",
    )
    t = _token(
        "jiangan",
        {
            "grant_type": "password",
            "client_id": "liuhen-officer",
            "username": "handler1",
            "password": "pass",
            "scope": "openid",
        },
    )
    c = _claims(t["access_token"])
    say("password grant handler1@jiangan (client liuhen-officer), access token claims:")
    say(json.dumps({k: c.get(k) for k in keys}, ensure_ascii=False))
    say(f"expires_in={t['expires_in']}")
    aud = c["aud"] if isinstance(c["aud"], list) else [c["aud"]]
    assert c["iss"] == f"{KEYCLOAK}/realms/jiangan", c["iss"]
    assert "liuhen" in aud and "handler" in c["realm_access"]["roles"], c
    assert c["certificate_no"] == "JA-handler1", c.get("certificate_no")
    assert c["exp"] - c["iat"] == 300, (c["exp"], c["iat"])

    t = _token(
        "hongshan",
        {
            "grant_type": "client_credentials",
            "client_id": "liuhen-cases",
            "client_secret": "liuhen-cases-secret",
        },
    )
    c = _claims(t["access_token"])
    say("client credentials liuhen-cases@hongshan, access token claims:")
    say(json.dumps({k: c.get(k) for k in keys}, ensure_ascii=False))
    aud = c["aud"] if isinstance(c["aud"], list) else [c["aud"]]
    assert c["iss"] == f"{KEYCLOAK}/realms/hongshan", c["iss"]
    assert "liuhen" in aud and "service" in c["realm_access"]["roles"], c

    try:  # a wrong password is refused
        _token(
            "jiangan",
            {
                "grant_type": "password",
                "client_id": "liuhen-officer",
                "username": "handler1",
                "password": "wrong",
            },
        )
        raise AssertionError("wrong password accepted")
    except urllib.error.HTTPError as e:
        say(f"wrong password refused: HTTP {e.code}")


CHECKS = {
    "postgres": check_postgres,
    "kafka": check_kafka,
    "rgw": check_rgw,
    "keycloak": check_keycloak,
}


def main(argv: list[str]) -> int:
    names = argv or list(CHECKS)
    failed = skipped = passed = 0
    for n in names:
        print(f"== {n}", flush=True)
        t0 = time.monotonic()
        try:
            CHECKS[n]()
        except Skip as s:
            skipped += 1
            print(f"SKIP {n}: {s}")
            continue
        except Exception:
            failed += 1
            traceback.print_exc()
            print(f"FAIL {n}")
            continue
        passed += 1
        print(f"OK   {n} ({time.monotonic() - t0:.1f}s)")
    print(f"selfcheck: {passed} passed, {failed} failed, {skipped} skipped")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
