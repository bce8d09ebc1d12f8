"""The gRPC server every service runs: interceptors for authentication, tenancy, error
mapping and tracing; health checking and reflection (DESIGN §10; STYLE: grpc examples).
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent import futures
from dataclasses import dataclass
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
from liuhen.platform.errors import (
    Cancelled,
    InvalidArgument,
    LiuhenError,
    PermissionDenied,
    Unauthenticated,
)
from liuhen.platform.limits import limits
from liuhen.platform.requests import check_request
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


# An error may echo what the client sent; the status goes out in the trailers, which a
# client refuses beyond 8 KiB (RESOURCE_EXHAUSTED), so every text in it is capped.
MESSAGE_BYTES = 1024
METADATA_BYTES = 256


def capped(text: str, most_bytes: int) -> str:
    """`text` cut to at most `most_bytes` of UTF-8, saying how long it was."""
    data = text.encode("utf-8", "replace")
    if len(data) <= most_bytes:
        return text
    head = data[: most_bytes - 40].decode("utf-8", "ignore")
    return f"{head}… ({len(text)} characters)"


def _status(exc: LiuhenError) -> status_pb2.Status:
    info = error_details_pb2.ErrorInfo(
        reason=capped(exc.reason, METADATA_BYTES),
        domain="liuhen.gov.wuhan",
        metadata={
            k: capped(v, METADATA_BYTES)
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
        message=capped(str(exc), MESSAGE_BYTES),
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
            field=capped(exc.field, METADATA_BYTES),
            description=capped(exc.message, METADATA_BYTES),
            reason=capped(exc.reason, METADATA_BYTES),
        )
        details.append(error_details_pb2.BadRequest(field_violations=[violation]))
    if exc.message_zh:
        details.append(
            error_details_pb2.LocalizedMessage(
                locale="zh-CN", message=capped(exc.message_zh, METADATA_BYTES)
            )
        )
    return details


@dataclass(frozen=True)
class Undecodable:
    """What the deserializer hands on for bytes that are not the request message, so the
    call answers INVALID_ARGUMENT (grpc itself would answer INTERNAL)."""

    error: str


def _lenient(deserializer: Callable[[bytes], Any] | None) -> Callable[[bytes], Any] | None:
    if deserializer is None:
        return None

    def decode(data: bytes) -> Any:
        try:
            return deserializer(data)
        except Exception as exc:
            return Undecodable(f"{type(exc).__name__}: {exc}")

    return decode


def checked(request: Any) -> Any:
    """The request, if it decoded and passes the platform's request check."""
    if isinstance(request, Undecodable):
        raise InvalidArgument(
            "UNDECODABLE_REQUEST",
            f"the request does not decode as its message type ({request.error})",
            "请求无法解析",
            article="DESIGN §8",
        )
    check_request(request)
    return request


def _checked_stream(requests: Iterator[Any]) -> Iterator[Any]:
    try:
        for request in requests:
            yield checked(request)
    except grpc.RpcError:
        # The call ended under the servicer (the client went away, or sent a message over
        # the size limit): grpc has answered already; nothing crashed here.
        raise Cancelled("CALL_ENDED", "the call ended during the upload", "调用已中止") from None


def authenticate(verifier: TokenVerifier, metadata: dict[str, str]) -> tuple[Principal, str]:
    """The caller's principal and raw token; a calling service's own token, when
    present, must verify and belong to a service of the same tenant (DESIGN §3)."""
    token = _bearer(metadata, "authorization")
    if not token:
        raise Unauthenticated("MISSING_TOKEN", "a bearer token is required", "需要提供访问令牌")
    principal = verifier.verify(token)
    service_token = _bearer(metadata, SERVICE_AUTH_HEADER)
    if service_token:
        caller = verifier.verify(service_token)
        if caller.tenant != principal.tenant or not caller.is_service:
            raise PermissionDenied(
                "SERVICE_TOKEN_MISMATCH",
                "the service token is not a service of the caller's tenant",
                "服务令牌与调用者机构不符",
                article="DESIGN §3",
            )
    return principal, token


class CallFailed(Exception):
    """What a call failed with, as the status to abort it with."""

    def __init__(self, status: grpc.Status) -> None:
        super().__init__(status)
        self.status = status


def call_metadata(context: Any) -> dict[str, str]:
    return {k: v for k, v in (context.invocation_metadata() or ()) if isinstance(v, str)}


@contextlib.contextmanager
def platform_call(verifier: TokenVerifier, method: str, metadata: dict[str, str]) -> Iterator[None]:
    """The rules every call runs under, sync or asyncio: a server span, the caller
    authenticated and bound for the call, and any failure turned into CallFailed with
    the status to answer (a LiuhenError maps to its code; anything else is INTERNAL with
    the trace id logged)."""
    with telemetry.tracer().start_as_current_span(
        method, context=telemetry.extract(metadata), kind=trace.SpanKind.SERVER
    ) as span:
        tokens: list[contextvars.Token[Any]] = []
        try:
            principal, raw = authenticate(verifier, metadata)
            span.set_attribute("liuhen.tenant", principal.tenant)
            tokens = [_principal.set(principal), _raw_token.set(raw)]
            yield
        except grpc.aio.AbortError:
            raise  # the servicer aborted the call with its own status
        except LiuhenError as exc:
            span.set_attribute("liuhen.error", exc.reason)
            raise CallFailed(rpc_status.to_status(_status(exc))) from exc
        except Exception as exc:
            trace_id = telemetry.current_trace_id()
            log.exception("%s failed (trace %s)", method, trace_id)
            internal = status_pb2.Status(
                code=code_pb2.INTERNAL, message=f"internal error; trace id {trace_id}"
            )
            raise CallFailed(rpc_status.to_status(internal)) from exc
        finally:
            if tokens:
                _principal.reset(tokens[0])
                _raw_token.reset(tokens[1])


def wrapped_handler(
    handler: Any,
    details: Any,
    wrap: Callable[[Any, str, Callable[[Any], Any]], Any],
    check_stream: Callable[[Any], Any],
    wrap_responses: Callable[[Any, str, Callable[[Any], Any]], Any] | None = None,
) -> Any:
    """The method handler with its behaviour wrapped by `wrap(behaviour, method, check)`,
    `check` being what the wrapper applies to the request (`checked`, or `check_stream`
    for a client stream) inside the call's rules; bytes that do not decode reach it as
    `Undecodable`. Open methods (health, reflection) pass through. Sync and asyncio
    handlers alike. A method that streams its responses is wrapped by `wrap_responses`
    (the rules must hold while it streams); without one it is not served at all, never
    served unauthenticated."""
    if handler is None or details.method.startswith(OPEN_PREFIXES):
        return handler
    method = details.method
    if handler.unary_stream:
        if wrap_responses is None:
            return None
        return grpc.unary_stream_rpc_method_handler(
            wrap_responses(handler.unary_stream, method, checked),
            request_deserializer=_lenient(handler.request_deserializer),
            response_serializer=handler.response_serializer,
        )
    if handler.unary_unary:
        return grpc.unary_unary_rpc_method_handler(
            wrap(handler.unary_unary, method, checked),
            request_deserializer=_lenient(handler.request_deserializer),
            response_serializer=handler.response_serializer,
        )
    if handler.stream_unary:
        return grpc.stream_unary_rpc_method_handler(
            wrap(handler.stream_unary, method, check_stream),
            request_deserializer=_lenient(handler.request_deserializer),
            response_serializer=handler.response_serializer,
        )
    return None  # a bidirectional stream: none in Liuhen's APIs, so not served


class PlatformInterceptor(grpc.ServerInterceptor):  # type: ignore[misc]
    """Authenticates the caller, binds the principal for the call, maps errors to gRPC
    statuses with a google.rpc.Status detail, and opens a server span."""

    def __init__(self, verifier: TokenVerifier, service: str) -> None:
        self.verifier = verifier
        self.service = service

    def intercept_service(self, continuation: Callable[[Any], Any], details: Any) -> Any:
        return wrapped_handler(continuation(details), details, self._wrap, _checked_stream)

    def _wrap(
        self,
        behaviour: Callable[[Any, grpc.ServicerContext], Any],
        method: str,
        check: Callable[[Any], Any],
    ) -> Callable[[Any, grpc.ServicerContext], Any]:
        def call(request: Any, context: grpc.ServicerContext) -> Any:
            try:
                with platform_call(self.verifier, method, call_metadata(context)):
                    return behaviour(check(request), context)
            except CallFailed as failed:
                context.abort_with_status(failed.status)
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
        options=[
            # No SO_REUSEPORT: a second server on a taken port must fail, not share it.
            ("grpc.so_reuseport", 0),
            ("grpc.max_receive_message_length", limits().message_bytes),
        ],
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
