"""Test support: a whole site (the five services) running in-process on free ports
with the embedded adapters, and officers' tokens from the embedded issuer."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

import grpc
import jwt

from liuhen.cases.v1 import cases_internal_pb2_grpc, cases_pb2_grpc
from liuhen.enforcement.v1 import enforcement_internal_pb2_grpc, enforcement_pb2_grpc
from liuhen.intake.v1 import intake_internal_pb2_grpc, intake_pb2_grpc
from liuhen.media.v1 import media_pb2_grpc
from liuhen.platform.bootstrap import embedded_issuer
from liuhen.platform.config import SERVICES, Settings
from liuhen.routing.v1 import routing_pb2_grpc
from services.run import Running, start_together

ROOT = Path(__file__).resolve().parents[1]
STACK_SCRIPT = ROOT / "deploy" / "stack" / "stack.sh"


@cache
def stack_env() -> dict[str, str]:
    """The local stack's LIUHEN_* settings as `deploy/stack/stack.sh env` prints them (its
    ports live there alone), each overridden by the environment to point at other servers."""
    out = subprocess.run(
        ["bash", str(STACK_SCRIPT), "env"], capture_output=True, text=True, check=True, timeout=30
    ).stdout
    pairs = (line.removeprefix("export ").split("=", 1) for line in out.splitlines())
    return {key: os.environ.get(key, value) for key, value in pairs}


STUBS = {
    "intake": intake_pb2_grpc.IntakeServiceStub,
    "cases": cases_pb2_grpc.CasesServiceStub,
    "media": media_pb2_grpc.MediaServiceStub,
    "routing": routing_pb2_grpc.RoutingServiceStub,
    "enforcement": enforcement_pb2_grpc.EnforcementServiceStub,
    # The internal services only routing calls, on the same server as the public one.
    "intake_internal": intake_internal_pb2_grpc.IntakeInternalServiceStub,
    "cases_internal": cases_internal_pb2_grpc.CasesInternalServiceStub,
    "enforcement_internal": enforcement_internal_pb2_grpc.EnforcementInternalServiceStub,
}

# The officers the tests act as: (username, role, name, certificate number).
OFFICERS = {
    "intake1": ("intake", "接待员甲", "JA-0101"),
    "intake2": ("intake", "接待员乙", "JA-0102"),
    "handler1": ("handler", "承办人甲", "JA-0201"),
    "handler2": ("handler", "承办人乙", "JA-0202"),
    "reviewer1": ("reviewer", "审理员甲", "JA-0301"),
    "head1": ("head", "负责人甲", "JA-0401"),
    "bureau_head1": ("bureau_head", "局长甲", "JA-0501"),
    "legal1": ("legal", "法制员甲", "JA-0601"),
    "supervisor1": ("supervisor", "监察员甲", "JA-0701"),
}


def rid() -> str:
    return str(uuid.uuid4())


class Client:
    """Calls one service as one officer of one tenant."""

    def __init__(self, channel: grpc.Channel, service: str, token: str) -> None:
        self._stub = STUBS[service](channel)
        self._md = [("authorization", f"Bearer {token}")]

    def __getattr__(self, method: str) -> Any:
        fn = getattr(self._stub, method)
        return lambda request, **kw: fn(request, metadata=self._md, timeout=30, **kw)


@dataclass
class Site:
    settings: Settings
    running: dict[str, Running]

    def token(self, tenant: str, username: str, roles: tuple[str, ...] | None = None) -> str:
        """An officer's token: minted by the embedded issuer, or (on the stack profile) a
        real Keycloak token for the realm's test user of that name."""
        if self.settings.profile == "stack":
            from liuhen.cli.tokens import officer_token

            return officer_token(self.settings, tenant, username)
        role, name, cert = OFFICERS.get(username, ("handler", username, ""))
        return embedded_issuer(self.settings).mint(
            tenant, username, roles or (role,), name=name, certificate_no=cert
        )

    def channel(self, service: str) -> grpc.Channel:
        """The service's channel; `cases_internal` is served by `cases`, and so on."""
        return grpc.insecure_channel(self.settings.address(service.removesuffix("_internal")))

    def client(
        self, service: str, tenant: str, username: str, roles: tuple[str, ...] | None = None
    ) -> Client:
        return Client(self.channel(service), service, self.token(tenant, username, roles))

    def raw_client(self, service: str, token: str) -> Client:
        return Client(self.channel(service), service, token)

    def user_id(self, tenant: str, username: str) -> str:
        """The officer's user id: the subject of their token."""
        if self.settings.profile == "stack":
            claims = jwt.decode(self.token(tenant, username), options={"verify_signature": False})
            return str(claims["sub"])
        return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{tenant}/{username}"))


@contextmanager
def running_site(
    home: Path,
    services: tuple[str, ...] = SERVICES,
    base: Settings | None = None,
    **overrides: Any,
) -> Iterator[Site]:
    """The services in-process on ports the OS picks (port 0); `base` (e.g. the stack
    profile's settings) defaults to the embedded default under `home`."""
    # Services not started here keep port 0: a call to one fails at once, never reaching
    # whatever listens on its default port.
    settings = replace(
        base or Settings(),
        home=home,
        ports=dict.fromkeys(SERVICES, 0),
        relay_interval_s=0.05,
        **overrides,
    )
    running = start_together(services, settings)
    try:
        yield Site(settings.with_ports({s: r.port for s, r in running.items()}), running)
    finally:
        for r in running.values():
            r.stop(grace=0.5)


def status_of(exc: grpc.RpcError) -> tuple[grpc.StatusCode, str, dict[str, str]]:
    """The status code, the ErrorInfo reason and its metadata of a failed call."""
    from google.rpc import error_details_pb2
    from grpc_status import rpc_status

    status = rpc_status.from_call(exc)  # type: ignore[arg-type]
    for detail in status.details if status else []:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return exc.code(), info.reason, dict(info.metadata)
    return exc.code(), "", {}


def file_case(site: Site, tenant: str = "jiangan", *, assign: bool = True) -> str:
    """A complaint registered, filed by the head and opened as a case; returns its name."""
    from liuhen.cases.v1 import cases_pb2 as cpb
    from liuhen.intake.v1 import intake_pb2 as ipb

    desk = site.client("intake", tenant, "intake1")
    intake = desk.RegisterComplaint(
        ipb.RegisterComplaintRequest(
            request_id=rid(),
            source=ipb.SOURCE_VISIT,
            kind=ipb.INTAKE_KIND_COMPLAINT,
            complainant=ipb.Person(name="张三"),
            employer=ipb.Employer(name="某公司"),
            violation="拖欠工资",
        )
    ).intake
    desk.DraftFilingApproval(
        ipb.DraftFilingApprovalRequest(
            request_id=rid(), intake=intake.name, within_jurisdiction=True, summary="立案"
        )
    )
    site.client("intake", tenant, "head1").ApproveFiling(
        ipb.ApproveFilingRequest(request_id=rid(), intake=intake.name)
    )
    case = (
        site.client("cases", tenant, "intake1")
        .OpenCase(cpb.OpenCaseRequest(request_id=rid(), intake=intake.name))
        .case
    )
    if assign:
        site.client("cases", tenant, "head1").AssignHandler(
            cpb.AssignHandlerRequest(
                request_id=rid(),
                case=case.name,
                handler=site.user_id(tenant, "handler1"),
                handler_name="承办人甲",
                reviewer=site.user_id(tenant, "reviewer1"),
            )
        )
    return str(case.name)
