"""Build the adapters from settings (STYLE: nothing at import time).

`Platform` is what a service's handlers and servicer get: the database, the calendar,
the token verifier, the service's own tokens, the message log and the object store
(built on first use), and channels to the other services of the site.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, TypeVar

import grpc
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from liuhen.platform.auth import EmbeddedIssuer, TokenVerifier
from liuhen.platform.calendar import WorkingCalendar
from liuhen.platform.config import Settings
from liuhen.platform.db import Database
from liuhen.platform.errors import LiuhenError
from liuhen.platform.private import private_dir
from liuhen.platform.server import current_token, metadata_for

if TYPE_CHECKING:
    from liuhen.platform.archive import Archive
    from liuhen.platform.logkeys import Keyring
    from liuhen.platform.ports import MessageLog, ObjectStore

T = TypeVar("T")
DEFAULT_SIBLING_TIMEOUT_S = 30.0


def relay_error(exc: grpc.RpcError) -> LiuhenError:
    """A sibling service's error, re-raised as ours with the same status and reason."""
    from liuhen.platform import errors

    code = exc.code().name if exc.code() else "UNKNOWN"
    cls = {
        c.code: c
        for c in (
            errors.InvalidArgument,
            errors.NotFound,
            errors.FailedPrecondition,
            errors.PermissionDenied,
            errors.Unauthenticated,
            errors.AlreadyExists,
        )
    }.get(code, errors.Unavailable)
    info = _error_info(exc)
    if info is None:
        return cls("UPSTREAM_" + code, exc.details() or code)
    meta = dict(info.metadata)
    return cls(
        info.reason,
        (exc.details() or code).split(" / ")[0],
        meta.get("message_zh", ""),
        article=meta.get("article", ""),
        field=meta.get("field", ""),
    )


def _error_info(exc: grpc.RpcError) -> error_details_pb2.ErrorInfo | None:
    """The sibling's ErrorInfo, so its reason, article, field and Chinese text (and the
    details built from them) survive the relay."""
    try:
        status = rpc_status.from_call(exc)
    except (AttributeError, ValueError):
        return None
    for detail in status.details if status else []:
        info = error_details_pb2.ErrorInfo()
        if detail.Unpack(info):
            return info
    return None


def call_sibling(
    fn: Callable[..., T],
    request: Message,
    metadata: Sequence[tuple[str, str]],
    timeout: float = DEFAULT_SIBLING_TIMEOUT_S,
) -> T:
    """Call another service of the site with a deadline; its gRPC error becomes a
    LiuhenError (a deadline passed is UNAVAILABLE: the sibling did not answer)."""
    try:
        return fn(request, metadata=metadata, timeout=timeout)
    except grpc.RpcError as exc:
        raise relay_error(exc) from exc


class ServiceTokens:
    """The calling service's own token for a tenant (client credentials)."""

    def __init__(self, service: str, issuer: EmbeddedIssuer | None = None) -> None:
        self.service = service
        self._issuer = issuer

    def token(self, tenant: str) -> str:
        if self._issuer is None:
            raise RuntimeError("no service token source configured")
        return self._issuer.service_token(tenant, self.service)


@dataclass
class Platform:
    settings: Settings
    service: str
    db: Database
    calendar: WorkingCalendar
    verifier: TokenVerifier
    service_tokens: ServiceTokens
    _channels: dict[str, grpc.Channel] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @cached_property
    def messages(self) -> MessageLog:
        from liuhen.platform import messages

        if self.settings.profile == "stack":
            return messages.KafkaMessageLog(
                self.settings.kafka_bootstrap, client_id=f"liuhen-{self.service}"
            )
        return messages.SqliteMessageLog(self.settings.home / "messages.db")

    @cached_property
    def objects(self) -> ObjectStore:
        from liuhen.platform import objects, s3objects

        s = self.settings
        if s.profile == "stack":
            return s3objects.S3ObjectStore(
                s.s3_endpoint,
                s.s3_access_key.value,
                s.s3_secret_key.value,
                offsite_endpoint=s.s3_offsite_endpoint,
                timeout_s=s.s3_timeout_s,
            )
        return objects.FileObjectStore(s.home / "objects")

    @cached_property
    def log_keys(self) -> Keyring:
        from liuhen.platform.logkeys import Keyring

        return Keyring.from_settings(self.settings)

    @cached_property
    def archive(self) -> Archive:
        from liuhen.platform.archive import Archive

        return Archive(self.objects)

    def channel(self, service: str) -> grpc.Channel:
        with self._lock:
            if service not in self._channels:
                # Siblings restart (deploys, crashes): reconnect within seconds, not the
                # default two-minute backoff.
                self._channels[service] = grpc.insecure_channel(
                    self.settings.address(service),
                    options=[
                        ("grpc.initial_reconnect_backoff_ms", 200),
                        ("grpc.max_reconnect_backoff_ms", 2000),
                    ],
                )
            return self._channels[service]

    def call(
        self,
        fn: Callable[..., T],
        request: Message,
        metadata: Sequence[tuple[str, str]],
        timeout: float | None = None,
    ) -> T:
        """Call another service of the site under the site's deadline for sibling calls:
        a sibling that hangs fails this call with DEADLINE_EXCEEDED (issue 10); its gRPC
        error becomes a LiuhenError."""
        return call_sibling(fn, request, metadata, timeout or self.settings.sibling_timeout_s)

    def forward(self, tenant: str) -> Sequence[tuple[str, str]]:
        """Metadata for a call made on behalf of the current caller: their token, this
        service's token and the trace context (DESIGN §3)."""
        return list(metadata_for(current_token(), self.service_tokens.token(tenant)))

    def as_service(self, tenant: str) -> Sequence[tuple[str, str]]:
        """Metadata for a call this service makes on its own (e.g. applying a message)."""
        return list(metadata_for(self.service_tokens.token(tenant)))

    def close(self) -> None:
        for ch in self._channels.values():
            ch.close()
        if "messages" in self.__dict__:
            self.messages.close()
        self.db.dispose()


def embedded_issuer(settings: Settings) -> EmbeddedIssuer:
    return EmbeddedIssuer(settings.home / "keys" / "issuer.pem", settings.issuer_base)


def bootstrap(settings: Settings, service: str) -> Platform:
    private_dir(settings.home)
    if settings.profile == "stack":
        from liuhen.platform import keycloak

        verifier: TokenVerifier = keycloak.KeycloakVerifier(settings.keycloak_url)
        tokens: ServiceTokens = keycloak.KeycloakServiceTokens(
            settings.keycloak_url, service, secret=settings.client_secret(service)
        )
    else:
        issuer = embedded_issuer(settings)
        verifier, tokens = issuer, ServiceTokens(service, issuer)
    db = Database(
        settings.db_url(),
        connect_timeout_s=settings.db_connect_timeout_s,
        statement_timeout_s=settings.db_statement_timeout_s,
    )
    return Platform(
        settings=settings,
        service=service,
        db=db,
        calendar=WorkingCalendar.load(),
        verifier=verifier,
        service_tokens=tokens,
    )
