"""The five services as the console calls them: grpc.aio channels shared by every
request, each call made with the officer's own bearer token, and a refusal turned into
what the page shows (the service's Chinese message, its article and the field)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import grpc
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from liuhen.cases.v1 import cases_pb2_grpc
from liuhen.enforcement.v1 import enforcement_pb2_grpc
from liuhen.intake.v1 import intake_pb2_grpc
from liuhen.media.v1 import media_pb2_grpc
from liuhen.platform.config import SERVICES
from liuhen.routing.v1 import routing_pb2_grpc

STUBS: dict[str, Callable[[grpc.aio.Channel], Any]] = {
    "intake": intake_pb2_grpc.IntakeServiceStub,
    "cases": cases_pb2_grpc.CasesServiceStub,
    "media": media_pb2_grpc.MediaServiceStub,
    "routing": routing_pb2_grpc.RoutingServiceStub,
    "enforcement": enforcement_pb2_grpc.EnforcementServiceStub,
}
TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Violation:
    """One `BadRequest.FieldViolation`: the request field at fault and why."""

    field: str
    description: str
    reason: str = ""


@dataclass(frozen=True)
class Refusal(Exception):
    """A service said no: what the officer reads, and where (AIP-193: the `ErrorInfo`
    for the reason and article, a `BadRequest` for the fields at fault, and a zh-CN
    `LocalizedMessage` for the words)."""

    code: str
    reason: str
    message: str  # Chinese when the service gave it, else English
    article: str = ""
    field: str = ""
    violations: tuple[Violation, ...] = ()

    @classmethod
    def of(cls, exc: grpc.aio.AioRpcError) -> Refusal:
        status = rpc_status.from_call(exc)
        return cls.from_details(
            exc.code().name, exc.details() or exc.code().name, status.details if status else []
        )

    @classmethod
    def from_details(cls, code: str, details: str, packed: Iterable[Any]) -> Refusal:
        """The refusal from a status's packed details; what is missing falls back to
        ErrorInfo's metadata, then to the status message."""
        info: error_details_pb2.ErrorInfo | None = None
        localized: list[error_details_pb2.LocalizedMessage] = []
        violations: list[Violation] = []
        for detail in packed:
            if detail.Is(error_details_pb2.ErrorInfo.DESCRIPTOR) and info is None:
                info = error_details_pb2.ErrorInfo()
                detail.Unpack(info)
            elif detail.Is(error_details_pb2.LocalizedMessage.DESCRIPTOR):
                one = error_details_pb2.LocalizedMessage()
                detail.Unpack(one)
                localized.append(one)
            elif detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
                bad = error_details_pb2.BadRequest()
                detail.Unpack(bad)
                violations.extend(
                    Violation(v.field, v.description, v.reason) for v in bad.field_violations
                )
        meta = dict(info.metadata) if info is not None else {}
        zh = [m.message for m in localized if m.locale.lower().startswith("zh") and m.message]
        message = (zh or [meta.get("message_zh", "")])[0] or details
        field = meta.get("field", "") or (violations[0].field if violations else "")
        return cls(
            code,
            info.reason if info is not None else "",
            message,
            meta.get("article", ""),
            field,
            tuple(violations),
        )

    def on(self, field: str) -> str:
        """What the form shows beside `field` (a request field, e.g. `recipient` or
        `content_json.employer`), or "" when the refusal is not about it."""
        for name in (self.field, *(v.field for v in self.violations)):
            if name == field or name.startswith(f"{field}."):
                return self.message if name == self.field else self._described(name)
        return ""

    def _described(self, name: str) -> str:
        for v in self.violations:
            if v.field == name:
                return v.description or self.message
        return self.message


class Backend:
    """One channel per service for the console's whole life."""

    def __init__(self, address: Callable[[str], str]) -> None:
        self.channels = {s: grpc.aio.insecure_channel(address(s)) for s in SERVICES}

    def stub(self, service: str) -> Any:
        return STUBS[service](self.channels[service])

    async def call(self, token: str, service: str, method: str, request: Any) -> Any:
        """A unary call as the officer; a refusal raises Refusal."""
        fn = getattr(self.stub(service), method)
        try:
            return await fn(request, metadata=_metadata(token), timeout=TIMEOUT_S)
        except grpc.aio.AioRpcError as exc:
            raise Refusal.of(exc) from exc

    async def stream_in(self, token: str, service: str, method: str, requests: Any) -> Any:
        """A client-streaming call fed by an async iterator (an upload as it arrives)."""
        fn = getattr(self.stub(service), method)
        try:
            return await fn(requests, metadata=_metadata(token), timeout=None)
        except grpc.aio.AioRpcError as exc:
            raise Refusal.of(exc) from exc

    def stream_out(self, token: str, service: str, method: str, request: Any) -> Any:
        """A server-streaming call (read its replies with `await call.read()`); a
        refusal surfaces as grpc.aio.AioRpcError on the first read."""
        fn = getattr(self.stub(service), method)
        return fn(request, metadata=_metadata(token), timeout=None)

    async def close(self) -> None:
        for channel in self.channels.values():
            await channel.close()


def _metadata(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)
