"""The gRPC server every service runs: interceptors for authentication, tenancy, error
mapping and tracing; health checking and reflection (DESIGN §10; STYLE: grpc examples).
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable, Iterable, Sequence
from concurrent import futures
from typing import Any

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection
from grpc_status import rpc_status
from opentelemetry import trace

from liuhen.platform import telemetry
from liuhen.platform.auth import Principal, TokenVerifier
from liuhen.platform.errors import LiuhenError, PermissionDenied, Unauthenticated
from liuhen.platform.sockets import port_taken_message

log = logging.getLogger("liuhen.server")

_principal: contextvars.ContextVar[Principal | None] = contextvars.ContextVar(
    "principal", default=None
)
_raw_token: contextvars.ContextVar[str] = contextvars.ContextVar("raw_token", default="")

SERVICE_AUTH_HEADER = "x-liuhen-service-authorization"
OPEN_PREFIXES = ("/grpc.health.v1.Health/", "/grpc.reflection.")


def current_principal() -> Principal:
    principal = _principal.get()
    if principal is None:
        raise Unauthenticated("NO_PRINCIPAL", "no authenticated caller", "调用者未认证")
    return principal


def current_token() -> str:
    """The caller's bearer token, forwarded on service-to-service calls (DESIGN §3)."""
    return _raw_token.get()


def _bearer(metadata: dict[str, str], key: str) -> str:
    value = metadata.get(key, "")
    if not value:
        return ""
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Unauthenticated(
            "BAD_AUTH_HEADER", f"{key} must be 'Bearer <token>'", "认证头格式应为 Bearer <令牌>"
        )
    return token


def _status(exc: LiuhenError) -> status_pb2.Status:
    info = error_details_pb2.ErrorInfo(
        reason=exc.reason,
        domain="liuhen.gov.wuhan",
        metadata={
            k: v
            for k, v in (
                ("article", exc.article),
                ("field", exc.field),
                ("message_zh", exc.message_zh),
            )
            if v
        },
    )
    return status_pb2.Status(
        code=grpc.StatusCode[exc.code].value[0],
        message=str(exc),
        details=[_packed(d) for d in (info, *_rich_details(exc))],
    )


def _packed(message: Any) -> any_pb2.Any:
    detail = any_pb2.Any()
    detail.Pack(message)
    return detail


def _rich_details(exc: LiuhenError) -> list[Any]:
    """Beside ErrorInfo (AIP-193): the field at fault as a BadRequest.FieldViolation for
    a malformed request, and the Chinese text as a zh-CN LocalizedMessage."""
    details: list[Any] = []
    if exc.field and exc.code == "INVALID_ARGUMENT":
        violation = error_details_pb2.BadRequest.FieldViolation(
            field=exc.field, description=exc.message, reason=exc.reason
        )
        details.append(error_details_pb2.BadRequest(field_violations=[violation]))
    if exc.message_zh:
        details.append(error_details_pb2.LocalizedMessage(locale="zh-CN", message=exc.message_zh))
    return details


class PlatformInterceptor(grpc.ServerInterceptor):  # type: ignore[misc]
    """Authenticates the caller, binds the principal for the call, maps errors to gRPC
    statuses with a google.rpc.Status detail, and opens a server span."""

    def __init__(self, verifier: TokenVerifier, service: str) -> None:
        self.verifier = verifier
        self.service = service

    def intercept_service(self, continuation: Callable[[Any], Any], details: Any) -> Any:
        handler = continuation(details)
        if handler is None or details.method.startswith(OPEN_PREFIXES):
            return handler
        method = details.method
        if handler.unary_unary:
            return grpc.unary_unary_rpc_method_handler(
                self._wrap(handler.unary_unary, method),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        if handler.stream_unary:
            return grpc.stream_unary_rpc_method_handler(
                self._wrap(handler.stream_unary, method),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return handler  # no streaming responses in Liuhen's APIs

    def _authenticate(self, metadata: dict[str, str]) -> tuple[Principal, str]:
        """The caller's principal and raw token; a calling service's own token, when
        present, must verify and belong to a service of the same tenant (DESIGN §3)."""
        token = _bearer(metadata, "authorization")
        if not token:
            raise Unauthenticated("MISSING_TOKEN", "a bearer token is required", "需要提供访问令牌")
        principal = self.verifier.verify(token)
        service_token = _bearer(metadata, SERVICE_AUTH_HEADER)
        if service_token:
            caller = self.verifier.verify(service_token)
            if caller.tenant != principal.tenant or not caller.is_service:
                raise PermissionDenied(
                    "SERVICE_TOKEN_MISMATCH",
                    "the service token is not a service of the caller's tenant",
                    "服务令牌与调用者机构不符",
                    article="DESIGN §3",
                )
        return principal, token

    def _wrap(
        self, behaviour: Callable[[Any, grpc.ServicerContext], Any], method: str
    ) -> Callable[[Any, grpc.ServicerContext], Any]:
        def call(request: Any, context: grpc.ServicerContext) -> Any:
            metadata = {k: v for k, v in context.invocation_metadata() if isinstance(v, str)}
            with telemetry.tracer().start_as_current_span(
                method, context=telemetry.extract(metadata), kind=trace.SpanKind.SERVER
            ) as span:
                tokens: list[contextvars.Token[Any]] = []
                try:
                    principal, raw = self._authenticate(metadata)
                    span.set_attribute("liuhen.tenant", principal.tenant)
                    tokens = [_principal.set(principal), _raw_token.set(raw)]
                    return behaviour(request, context)
                except LiuhenError as exc:
                    span.set_attribute("liuhen.error", exc.reason)
                    context.abort_with_status(rpc_status.to_status(_status(exc)))
                except Exception:
                    trace_id = telemetry.current_trace_id()
                    log.exception("%s failed (trace %s)", method, trace_id)
                    context.abort_with_status(
                        rpc_status.to_status(
                            status_pb2.Status(
                                code=code_pb2.INTERNAL,
                                message=f"internal error; trace id {trace_id}",
                            )
                        )
                    )
                finally:
                    if tokens:
                        _principal.reset(tokens[0])
                        _raw_token.reset(tokens[1])
            return None

        return call


def create_server(
    *,
    service: str,
    verifier: TokenVerifier,
    register: Callable[[grpc.Server], Sequence[str]],
    address: str = "127.0.0.1:0",
    max_workers: int = 16,
    port_variable: str = "",
) -> tuple[grpc.Server, int]:
    """Build (not start) a server: `register` adds the servicers and returns their full
    service names. Returns the server and the bound port (useful with port 0). A taken
    port raises OSError naming the port, its holder if seen, and `port_variable`."""
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=max_workers, thread_name_prefix=f"liuhen-{service}"),
        interceptors=[PlatformInterceptor(verifier, service)],
        # No SO_REUSEPORT: a second server on a taken port must fail, not share it.
        options=[("grpc.so_reuseport", 0)],
    )
    names = list(register(server))
    health_servicer = health.HealthServicer()
    health_pb2_grpc.add_HealthServicer_to_server(health_servicer, server)
    for name in [*names, ""]:
        health_servicer.set(name, health_pb2.HealthCheckResponse.SERVING)
    reflection.enable_server_reflection(
        [*names, health.SERVICE_NAME, reflection.SERVICE_NAME], server
    )
    try:
        port = server.add_insecure_port(address)
    except RuntimeError:  # grpcio >= 1.60 raises where older ones returned 0
        port = 0
    if port == 0:
        raise OSError(port_taken_message(address, port_variable))
    return server, port


def metadata_for(user_token: str, service_token: str = "") -> Iterable[tuple[str, str]]:
    """Outgoing call metadata: the user's token, the calling service's token and the
    trace context."""
    carrier: dict[str, str] = {}
    telemetry.inject(carrier)
    md = [("authorization", f"Bearer {user_token}"), *carrier.items()]
    if service_token:
        md.append((SERVICE_AUTH_HEADER, f"Bearer {service_token}"))
    return md
