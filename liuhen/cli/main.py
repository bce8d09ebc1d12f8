"""The `liuhen` command: run the services, mint dev tokens, inspect cases, run the demo."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import grpc

from liuhen.cli import demo, prints, report
from liuhen.cli.processes import (
    ServiceProcesses,
    all_serving,
    console_serving,
    console_url,
    env_for,
    free_ports,
)
from liuhen.cli.tokens import officer_token
from liuhen.platform.config import SERVICES, ConfigError, Settings
from liuhen.platform.enums import key_of


def _settings() -> Settings:
    return Settings.from_env()


def cmd_up(args: argparse.Namespace) -> int:
    settings = Settings.from_env(services=SERVICES)  # on the stack: every client secret
    procs = ServiceProcesses(settings, env_for(settings))
    procs.start()
    print(f"Liuhen is up ({settings.profile} profile, state in {settings.home}):")
    for s in SERVICES:
        print(f"  {s:<12} {settings.address(s)}")
    print(f"  {'console':<12} {console_url(settings)}  (the officers' web console)")
    print("Ctrl-C stops the services and the console.")
    stop = threading.Event()
    # Explicit handlers: a process started in the background may inherit SIGINT ignored.
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    while not stop.wait(0.5):
        pass
    print("stopping…")
    procs.stop()
    return 0


def cmd_token(args: argparse.Namespace) -> int:
    print(officer_token(_settings(), args.tenant, args.user, args.role or ""))
    return 0


def _officer(args: argparse.Namespace) -> demo.Officer:
    return demo.Officer(_settings(), args.tenant, args.user)


def cmd_case_show(args: argparse.Namespace) -> int:
    from liuhen.cases.v1 import cases_pb2 as cpb
    from liuhen.paging import case_deadlines, case_documents, case_ledger

    officer = _officer(args)
    case = officer("cases", "GetCase", cpb.GetCaseRequest(name=args.name)).case
    print(f"{case.case_number}  {case.name}  [{key_of(case)}]")
    print(
        f"party: {case.party}   complainant: {case.complainant}   handler: "
        f"{case.handler_name or '-'}"
    )
    print("documents:")
    for d in case_documents(officer, args.tenant, args.name):
        origin = f" from {d.from_site}" if d.from_site else ""
        print(f"  {d.title_zh} ({d.type}) {key_of(d)}{origin}  sha256 {d.content_sha256[:12]}…")
    print("deadlines:")
    for dl in case_deadlines(officer, args.name):
        flag = " (provisional)" if dl.provisional else ""
        print(f"  {dl.rule:<28} due {dl.due_on}{flag}  {_state(dl)}  [{dl.source}]")
    print("ledger:")
    for e in case_ledger(officer, args.name):
        print(
            f"  {e.seq:>3} {e.time.ToDatetime():%Y-%m-%d %H:%M:%S} {e.action:<30} "
            f"{e.actor.name or e.actor.username} ({e.actor.role})  {e.hash[:12]}…"
        )
    return 0


def cmd_case_bundle(args: argparse.Namespace) -> int:
    from liuhen.cli import bundle

    officer = _officer(args)
    # Signed now and cosigned before it is written: every entry of the case, a print
    # finished a moment ago included, is then under the bundle's checkpoint (Art 45).
    out = bundle.witnessed_bundle(
        officer, officer, args.name, Path(args.output), tenant=args.tenant
    )
    print(f"court bundle of {args.name} written to {out}; check it: python -m liuhen.verify {out}")
    return 0


def cmd_ledger_verify(args: argparse.Namespace) -> int:
    from liuhen.cases.v1 import cases_pb2 as cpb

    v = _officer(args)("cases", "VerifyLedger", cpb.VerifyLedgerRequest(case=args.case))
    if v.ok:
        witnessed = (
            f"all in the witnessed checkpoint of size {v.checkpoint_size}"
            if v.checkpoint_size
            else "no witnessed checkpoint yet"
        )
        later = f", {v.unwitnessed} newer than it" if v.checkpoint_size and v.unwitnessed else ""
        print(
            f"ledger of {args.case}: {v.entries} entries, verified (head {v.head_hash}); "
            f"{witnessed}{later}"
        )
        return 0
    print(f"ledger of {args.case}: BROKEN at entry {v.first_bad_seq}: {v.detail}")
    return 1


def cmd_ledger_alarms(args: argparse.Namespace) -> int:
    from liuhen.cases.v1 import cases_pb2 as cpb

    reply = _officer(args)("cases", "ListLedgerAlarms", cpb.ListLedgerAlarmsRequest())
    print(f"ledger alarms of {args.tenant}: {len(reply.alarms) or 'none'}")
    for a in reply.alarms:
        print(f"  {a.time.ToDatetime():%Y-%m-%d %H:%M:%S} {a.kind:<6} {a.subject}: {a.detail}")
    return 1 if reply.alarms else 0


def cmd_ledger_keys(args: argparse.Namespace) -> int:
    from liuhen.platform.logkeys import generate_all

    for path in generate_all(Path(args.out)):
        print(path)
    return 0


def cmd_deadlines(args: argparse.Namespace) -> int:
    from liuhen.cases.v1 import cases_pb2 as cpb
    from liuhen.paging import every

    terms = [f'case = "{args.case}"'] if args.case else []
    terms += [f'officer = "{args.officer}"'] if args.officer else []
    terms += ["overdue = true"] if args.overdue else []
    terms += [] if args.all else ["open = true"]
    officer = _officer(args)
    listed = every(
        lambda request: officer("cases", "ListDeadlines", request),
        cpb.ListDeadlinesRequest(
            parent=f"tenants/{args.tenant}", filter=" AND ".join(terms), page_size=100
        ),
        "deadlines",
    )
    print(f"deadlines of {args.tenant} on {date.today()}:")
    for d in listed:
        flag = " (provisional)" if d.provisional else ""
        print(f"  {_state(d):<22} {d.due_on}{flag}  {d.rule:<28} {d.case_id}  [{d.source}]")
    return 0


def _state(d: Any) -> str:
    """open | overdue | met on <date> | met LATE on <date>: a late step stays late."""
    if key_of(d) != "met":
        return key_of(d)
    return f"met {'LATE ' if d.late else ''}on {d.met_on}"


def cmd_demo(args: argparse.Namespace) -> int:
    settings = _settings()
    procs = None
    if args.fresh or not all_serving(settings):
        # Nothing running: start our own services on fresh state, stop them afterwards.
        home = Path(tempfile.mkdtemp(prefix="liuhen-demo-"))
        settings = replace(settings, home=home) if settings.profile == "embedded" else settings
        ports = free_ports([*SERVICES, "console"])
        services = settings.with_ports({s: ports[s] for s in SERVICES})
        settings = replace(services, console_port=ports["console"])
        print(f"starting the five services ({settings.profile} profile, state in {settings.home})…")
        procs = ServiceProcesses(settings, env_for(settings))
        procs.start()
    try:
        result = demo.run(settings)
    except grpc.RpcError as exc:
        print(f"demo failed: {exc.code().name}: {exc.details()}", file=sys.stderr)
        if procs is not None:
            procs.stop()
        return 1
    if console_serving(settings):
        print(
            f"console: {console_url(settings)}  (sign in as {demo.HOME} / handler1 or head1 "
            f"to see case {result['case_number']} and its ledger)"
        )
    print(demo.summary_line(result))
    if procs is not None:
        if sys.stdin.isatty():  # a newcomer at a terminal: keep the console to look at
            print("Ctrl-C stops the services and the console.", flush=True)
            _wait_for_signal()
        procs.stop()
    return 0 if result["ledger_verified"] else 1


def _wait_for_signal() -> None:
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    while not stop.wait(0.5):
        pass


def cmd_keycloak_dev_realms(args: argparse.Namespace) -> int:
    from liuhen.platform import keycloak_realms

    for path in keycloak_realms.write_dev_realms(Path(args.out)):
        print(path)
    return 0


def cmd_keycloak_deployment_realms(args: argparse.Namespace) -> int:
    from liuhen.platform import keycloak_deployment as kd

    try:
        options = kd.DeploymentOptions(
            console_url=args.console_url,
            second_factor_roles=tuple(r for r in args.second_factor_roles.split(",") if r),
            second_factor=args.second_factor,
            secret_name=args.secret_name,
            namespace=args.namespace,
        )
        paths = kd.write_deployment_realms(Path(args.out), options)
    except (ValueError, FileExistsError) as exc:
        print(f"keycloak deployment-realms: {exc}", file=sys.stderr)
        return 2
    for path in paths:
        print(path)
    print(
        "These files hold the service clients' secrets (readable by you only): import the "
        "realms, apply the Secret manifest, then delete them.",
        file=sys.stderr,
    )
    return 0


def _keycloak_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    kc = sub.add_parser("keycloak", help="Keycloak").add_subparsers(dest="kc_cmd", required=True)
    dev = kc.add_parser(
        "dev-realms", help="realms for development and tests: test users, known secrets"
    )
    dev.add_argument("out")
    dev.set_defaults(fn=cmd_keycloak_dev_realms)
    dep = kc.add_parser(
        "deployment-realms",
        help="realms for a deployment: no users, random secrets (and their Secret manifest)",
    )
    dep.add_argument("out", help="a new directory: existing files are never overwritten")
    dep.add_argument("--console-url", required=True, help="https://... where officers sign in")
    dep.add_argument("--second-factor-roles", default="head,bureau_head")
    dep.add_argument("--second-factor", choices=("totp", "webauthn"), default="totp")
    dep.add_argument("--secret-name", default="liuhen-keycloak-clients")
    dep.add_argument("--namespace", default="")
    dep.set_defaults(fn=cmd_keycloak_deployment_realms)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="liuhen",
        description="Liuhen (留痕): full-process records of labour-security supervision cases",
    )
    sub = p.add_subparsers(dest="command", required=True)
    sub.add_parser("up", help="start the five services; Ctrl-C stops them").set_defaults(fn=cmd_up)
    t = sub.add_parser("token", help="mint a dev token (embedded) or get one (stack)")
    t.add_argument("--tenant", required=True)
    t.add_argument("--user", required=True, help="e.g. handler1, head1")
    t.add_argument("--role", help="defaults to the role in the username")
    t.set_defaults(fn=cmd_token)

    def who(q: argparse.ArgumentParser) -> None:
        q.add_argument("--tenant", default=os.environ.get("LIUHEN_TENANT", "jiangan"))
        q.add_argument("--user", default=os.environ.get("LIUHEN_USER", "handler1"))

    case = sub.add_parser("case", help="cases").add_subparsers(dest="case_cmd", required=True)
    show = case.add_parser("show", help="a case with its documents, deadlines and ledger")
    show.add_argument("name", help="cases/{id}")
    who(show)
    show.set_defaults(fn=cmd_case_show)
    bun = case.add_parser("bundle", help="the court bundle: documents, recordings, proofs")
    bun.add_argument("name", help="cases/{id}")
    bun.add_argument("-o", "--output", required=True, help="the zip to write")
    who(bun)
    bun.set_defaults(fn=cmd_case_bundle)
    led = sub.add_parser("ledger", help="the ledger").add_subparsers(
        dest="ledger_cmd", required=True
    )
    ver = led.add_parser(
        "verify", help="check a case's chain and its entries against the witnessed log"
    )
    ver.add_argument("case", help="cases/{id}")
    who(ver)
    ver.set_defaults(fn=cmd_ledger_verify)
    prints.add_commands(sub, case, who)
    report.add_commands(sub, who, _officer)
    alarms = led.add_parser("alarms", help="forks and other findings (Art 47 report)")
    who(alarms)
    alarms.set_defaults(fn=cmd_ledger_alarms)
    keys = led.add_parser(
        "keys", help="write every site's missing log and witness keys (for a Secret)"
    )
    keys.add_argument("out")
    keys.set_defaults(fn=cmd_ledger_keys)
    dl = sub.add_parser("deadlines", help="open and overdue deadlines")
    dl.add_argument("--case")
    dl.add_argument("--officer")
    dl.add_argument("--overdue", action="store_true", help="only those past their due date")
    dl.add_argument("--all", action="store_true", help="include deadlines already met")
    who(dl)
    dl.set_defaults(fn=cmd_deadlines)
    dm = sub.add_parser("demo", help="run the two-district scenario")
    dm.add_argument(
        "--fresh", action="store_true", help="start fresh services even if some are already running"
    )
    dm.set_defaults(fn=cmd_demo)
    _keycloak_commands(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.fn(args))
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
