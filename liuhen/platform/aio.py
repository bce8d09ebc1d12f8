"""The asyncio variant of the platform server, for a service whose calls wait on their
clients (media: uploads that stream for minutes, waits for the off-site copy).

A waiting call holds no thread: the server runs on its own event loop, the same
platform rules apply (`server.platform_call`: span, authentication, tenancy, error
mapping), and blocking work (the database, hashing, object-store writes) goes to
bounded executors. Health is answered on the loop, whatever the executors are doing
(issue 10: no caller starves the others).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import threading
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import grpc
from grpc_health.v1 import _async as aio_health
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from liuhen.platform.auth import Principal, TokenVerifier
from liuhen.platform.errors import DeadlineExceeded, ResourceExhausted, Unavailable
from liuhen.platform.server import (
    SERVICE_AUTH_HEADER,
    CallFailed,
    call_metadata,
    checked,
    platform_call,
    wrapped_handler,
)
from liuhen.platform.sockets import port_taken_message

T = TypeVar("T")


class AioPlatformInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """`server.PlatformInterceptor` for grpc.aio: the same rules, awaited."""

    def __init__(self, verifier: TokenVerifier, service: str) -> None:
        self.verifier = verifier
        self.service = service

    async def intercept_service(
        self, continuation: Callable[[Any], Awaitable[Any]], details: Any
    ) -> Any:
        return wrapped_handler(
            await continuation(details),
            details,
            self._wrap,
            _checked_stream,
            self._wrap_responses,
        )

    def _wrap(
        self,
        behaviour: Callable[[Any, Any], Awaitable[Any]],
        method: str,
        check: Callable[[Any], Any],
    ) -> Callable[[Any, Any], Awaitable[Any]]:
        async def call(request: Any, context: Any) -> Any:
            metadata = call_metadata(context)
            verifier = await _verified_off_loop(self.verifier, metadata)
            try:
                with platform_call(verifier, method, metadata):
                    return await behaviour(check(request), context)
            except CallFailed as failed:
                status = failed.status
                await context.abort(status.code, status.details, status.trailing_metadata)
            return None

        return call

    def _wrap_responses(
        self,
        behaviour: Callable[[Any, Any], AsyncIterator[Any]],
        method: str,
        check: Callable[[Any], Any],
    ) -> Callable[[Any, Any], AsyncIterator[Any]]:
        """`_wrap` for a method that streams its responses: the caller stays bound and
        errors are mapped until the last response is sent."""

        async def call(request: Any, context: Any) -> AsyncIterator[Any]:
            metadata = call_metadata(context)
            verifier = await _verified_off_loop(self.verifier, metadata)
            try:
                with platform_call(verifier, method, metadata):
                    async for response in behaviour(check(request), context):
                        yield response
            except CallFailed as failed:
                status = failed.status
                await context.abort(status.code, status.details, status.trailing_metadata)

        return call


async def _checked_stream(requests: AsyncIterator[Any]) -> AsyncIterator[Any]:
    """A client stream whose every message passes the platform's request check."""
    async for request in requests:
        yield checked(request)


class _Verified(TokenVerifier):
    """A verifier that answers from tokens verified beforehand, and asks the real one
    for anything else (so its errors are raised, and mapped, by `platform_call`)."""

    def __init__(self, inner: TokenVerifier, known: dict[str, Principal]) -> None:
        self._inner, self._known = inner, known

    def verify(self, token: str) -> Principal:
        known = self._known.get(token)
        return known if known is not None else self._inner.verify(token)


async def _verified_off_loop(verifier: TokenVerifier, metadata: dict[str, str]) -> TokenVerifier:
    """Verify the call's tokens on a thread: fetching a realm's keys (Keycloak) blocks
    for up to its HTTP timeout, and the loop answers everyone, health included."""

    def verify_all() -> dict[str, Principal]:
        known = {}
        for key in ("authorization", SERVICE_AUTH_HEADER):
            scheme, _, token = metadata.get(key, "").partition(" ")
            if scheme.lower() == "bearer" and token:
                with contextlib.suppress(Exception):  # platform_call raises it again
                    known[token] = verifier.verify(token)
        return known

    return _Verified(verifier, await asyncio.get_running_loop().run_in_executor(None, verify_all))


class Offload:
    """A bounded pool for blocking work, run with the caller's context (principal,
    token, span), awaited without holding the loop."""

    def __init__(self, workers: int, name: str) -> None:
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=name)

    async def __call__(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        ctx = contextvars.copy_context()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._pool, functools.partial(ctx.run, fn, *args, **kwargs)
        )

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class StreamLimits:
    """Open streams per caller and per tenant; beyond them the call is refused with
    RESOURCE_EXHAUSTED naming the limit. Used on the event loop only (no lock)."""

    def __init__(self, *, per_caller: int, per_tenant: int, what: str) -> None:
        self.per_caller, self.per_tenant, self.what = per_caller, per_tenant, what
        self._callers: Counter[tuple[str, str]] = Counter()
        self._tenants: Counter[str] = Counter()

    @contextlib.contextmanager
    def slot(self, principal: Principal) -> Iterator[None]:
        caller = (principal.tenant, principal.user_id)
        for count, limit, name, zh in (
            (self._callers[caller], self.per_caller, "per_caller", "每名调用者"),
            (self._tenants[principal.tenant], self.per_tenant, "per_tenant", "每个机构"),
        ):
            if count >= limit:
                raise ResourceExhausted(
                    "TOO_MANY_STREAMS",
                    f"{count} {self.what} streams are open {name.replace('_', ' ')}; "
                    f"the limit is {limit}",
                    f"{zh}同时进行的{self.what}已达上限 {limit}",
                    field=f"{self.what}s_{name}",
                )
        self._callers[caller] += 1
        self._tenants[principal.tenant] += 1
        try:
            yield
        finally:
            self._callers[caller] -= 1
            self._tenants[principal.tenant] -= 1
            if not self._callers[caller]:
                del self._callers[caller]
            if not self._tenants[principal.tenant]:
                del self._tenants[principal.tenant]


class IdleStream:
    """A client stream read with an idle timeout: a client silent for `idle_s` has its
    call closed (DEADLINE_EXCEEDED). `blocking()` hands the rest of the stream to a
    worker thread as a plain iterator; a call that ends because its client went away
    is never taken for the end of the stream."""

    def __init__(self, requests: AsyncIterator[Any], context: Any, idle_s: float) -> None:
        self._requests, self._context, self.idle_s = requests, context, idle_s
        self._loop = asyncio.get_running_loop()
        self.abandoned = False

    async def next(self) -> Any | None:
        """The next message, or None at the end of the stream."""
        try:
            return await asyncio.wait_for(anext(self._requests), self.idle_s)
        except StopAsyncIteration:
            if self._context.cancelled() or self.abandoned:
                raise Unavailable(
                    "STREAM_CANCELLED", "the client went away", "客户端已断开"
                ) from None
            return None
        except TimeoutError:
            raise DeadlineExceeded(
                "STREAM_IDLE",
                f"no message for {self.idle_s:g} s: the stream is closed",
                f"{self.idle_s:g} 秒内未收到数据，已关闭",
                field="upload_idle_timeout_s",
            ) from None

    def blocking(self, convert: Callable[[Any], T]) -> Iterator[T]:
        """The remaining messages, converted, for a worker thread (never the loop's)."""
        while True:
            if self.abandoned:
                raise Unavailable("STREAM_CANCELLED", "the call ended", "调用已结束")
            message = asyncio.run_coroutine_threadsafe(self.next(), self._loop).result()
            if message is None:
                return
            yield convert(message)


class AioRuntime:
    """What an asyncio servicer gets besides the platform: bounded executors, closed
    with the server."""

    def __init__(self) -> None:
        self._pools: list[Offload] = []
        self.workers: list[Any] = []  # started and stopped with the service (services.run)

    def offload(self, workers: int, name: str) -> Offload:
        pool = Offload(workers, name)
        self._pools.append(pool)
        return pool

    def close(self) -> None:
        for pool in self._pools:
            pool.close()


RegisterAio = Callable[[grpc.aio.Server, AioRuntime], Sequence[str]]


class _Stopped:
    def wait(self, timeout: float | None = None) -> bool:
        return True


# No BDP probing: with it grpc-core grows each stream's receive window to what the link
# could carry, and buffers that much of every upload a busy server reads slowly. 32
# concurrent 64 MiB uploads held ~1 GiB in the media process with it; without it a
# stream holds its 64 KiB window (DESIGN §6: never whole in memory; bench.concurrent_uploads,
# docs/performance.md).
SERVER_OPTIONS: list[tuple[str, int]] = [("grpc.so_reuseport", 0), ("grpc.http2.bdp_probe", 0)]


class AioServer:
    """A grpc.aio server on an event loop of its own (a thread), started and stopped
    like a `grpc.Server` so `services.run` treats both alike."""

    def __init__(self, service: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name=f"liuhen-{service}-loop", daemon=True
        )
        self._thread.start()
        self.runtime = AioRuntime()
        self.server: grpc.aio.Server | None = None

    @property
    def workers(self) -> list[Any]:
        return self.runtime.workers

    def run(self, coro: Awaitable[T], timeout: float | None = None) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)  # type: ignore[arg-type]

    def start(self) -> None:
        if self.server is None:
            raise RuntimeError("the server was not built")
        self.run(self.server.start())

    def stop(self, grace: float | None = None) -> _Stopped:
        try:
            if self.server is not None:
                self.run(self.server.stop(grace))
            self.run(self._loop.shutdown_default_executor(), timeout=5)
        finally:
            self.runtime.close()
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=5)
        return _Stopped()


def create_aio_server(
    *,
    service: str,
    verifier: TokenVerifier,
    register: RegisterAio,
    address: str,
    port_variable: str = "",
) -> tuple[AioServer, int]:
    """`server.create_server` for grpc.aio: build (not start) the server on its loop; a
    taken port raises OSError as there."""
    holder = AioServer(service)

    async def build() -> int:
        server = grpc.aio.server(
            interceptors=[AioPlatformInterceptor(verifier, service)],
            options=SERVER_OPTIONS,
        )
        holder.server = server
        names = list(register(server, holder.runtime))
        checker = aio_health.HealthServicer()
        health_pb2_grpc.add_HealthServicer_to_server(checker, server)
        for name in [*names, ""]:
            await checker.set(name, health_pb2.HealthCheckResponse.SERVING)
        reflection.enable_server_reflection(
            [*names, health.SERVICE_NAME, reflection.SERVICE_NAME], server
        )
        try:
            port: int = server.add_insecure_port(address)
        except RuntimeError:  # grpcio >= 1.60 raises where older ones returned 0
            port = 0
        if port == 0:
            raise OSError(port_taken_message(address, port_variable))
        return port

    try:
        port = holder.run(build())
    except BaseException:
        holder.server = None
        holder.stop()
        raise
    return holder, port
