"""What every servicer shares: idempotent mutations in one transaction, tenant-scoped
reads, and resource-name parsing (Google API design guide)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Sequence
from typing import TypeVar

import grpc
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from liuhen.platform.auth import Principal
from liuhen.platform.bootstrap import Platform
from liuhen.platform.db import UnitOfWork, idempotent
from liuhen.platform.errors import InvalidArgument, LiuhenError, require
from liuhen.platform.server import current_principal

M = TypeVar("M", bound=Message)
T = TypeVar("T")


class ServicerBase:
    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def mutate(
        self,
        method: str,
        request: Message,
        response_type: type[M],
        work: Callable[[UnitOfWork, Principal], M],
    ) -> M:
        principal = current_principal()
        request_id = getattr(request, "request_id", "")
        require(
            request_id,
            "request_id",
            "every mutating call carries a client request id",
            article="DESIGN §8",
        )
        return idempotent(
            self.platform.db,
            tenant=principal.tenant,
            service=self.platform.service,
            method=method,
            user_id=principal.user_id,
            request=request,
            request_id=request_id,
            response_type=response_type,
            work=lambda uow: work(uow, principal),
        )

    def read(self, work: Callable[[UnitOfWork, Principal], T]) -> T:
        principal = current_principal()
        with self.platform.db.unit_of_work(principal.tenant) as uow:
            return work(uow, principal)


_NAME = re.compile(r"^[a-z_]+/[^/]+(/[a-z_]+/[^/]+)*$")


def parse_name(name: str, pattern: str, field: str = "name") -> list[str]:
    """Split `cases/{id}/documents/{id}` against `cases/*/documents/*`; every id must be a
    UUID. Returns the ids."""
    require(name, field)
    parts, shape = name.split("/"), pattern.split("/")
    ok = (
        bool(_NAME.match(name))
        and len(parts) == len(shape)
        and all(s == "*" or s == p for s, p in zip(shape, parts, strict=True))
    )
    ids = [p for s, p in zip(shape, parts, strict=False) if s == "*"]
    if ok:
        try:
            ids = [str(uuid.UUID(i)) for i in ids]
        except ValueError:
            ok = False
    if not ok:
        raise InvalidArgument(
            "MALFORMED_NAME",
            f"{field} must look like {pattern} (ids are UUIDs), not {name!r}",
            f"{field} 格式应为 {pattern}",
            field=field,
        )
    return ids


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
    timeout: float = 30.0,
) -> T:
    """Call another service of the site; its gRPC error becomes a LiuhenError."""
    try:
        return fn(request, metadata=metadata, timeout=timeout)
    except grpc.RpcError as exc:
        raise relay_error(exc) from exc
