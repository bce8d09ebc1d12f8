"""The five services as the console calls them: grpc.aio channels shared by every
request, each call made with the officer's own bearer token, and a refusal turned into
what the page shows (the service's Chinese message, its article and the field)."""

from __future__ import annotations

from collections.abc import Callable
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
class Refusal(Exception):
    """A service said no: what the officer reads, and where."""

    code: str
    reason: str
    message: str  # Chinese when the service gave it, else English
    article: str = ""
    field: str = ""

    @classmethod
    def of(cls, exc: grpc.aio.AioRpcError) -> Refusal:
        code = exc.code().name
        details = exc.details() or code
        status = rpc_status.from_call(exc)
        info, localized = error_details_pb2.ErrorInfo(), error_details_pb2.LocalizedMessage()
        found_info = found_zh = False
        for detail in status.details if status else []:
            found_info = found_info or detail.Unpack(info)
            found_zh = found_zh or detail.Unpack(localized)
        meta = dict(info.metadata) if found_info else {}
        message = localized.message if found_zh else meta.get("message_zh") or details
        return cls(code, info.reason, message, meta.get("article", ""), meta.get("field", ""))


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

    async def close(self) -> None:
        for channel in self.channels.values():
            await channel.close()


def _metadata(token: str) -> tuple[tuple[str, str], ...]:
    return (("authorization", f"Bearer {token}"),)
