"""What every servicer shares: idempotent mutations in one transaction, tenant-scoped
reads, and resource-name parsing (Google API design guide)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import TypeVar

from google.protobuf.message import Message

from liuhen.platform.auth import Principal
from liuhen.platform.bootstrap import Platform, call_sibling, relay_error
from liuhen.platform.db import UnitOfWork, idempotent
from liuhen.platform.errors import InvalidArgument, require
from liuhen.platform.server import current_principal

__all__ = ["InternalServicerBase", "ServicerBase", "call_sibling", "parse_name", "relay_error"]

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


class InternalServicerBase(ServicerBase):
    """A service's internal API: methods only the `caller` service, with its own
    identity, calls (issue 12; DESIGN §7). Every `mutate` and `read` refuses anyone
    else before the request is looked at, so a method cannot forget the check; the
    method parses its request inside its work."""

    caller = "routing"
    serves = "applies what another organisation sent"
    serves_zh = "应用外单位发来的消息"

    def check_caller(self) -> Principal:
        principal = current_principal()
        principal.require_service(self.caller, action=self.serves, action_zh=self.serves_zh)
        return principal

    def mutate(
        self,
        method: str,
        request: Message,
        response_type: type[M],
        work: Callable[[UnitOfWork, Principal], M],
    ) -> M:
        self.check_caller()
        return super().mutate(method, request, response_type, work)

    def read(self, work: Callable[[UnitOfWork, Principal], T]) -> T:
        self.check_caller()
        return super().read(work)


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
