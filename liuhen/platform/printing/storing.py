"""Storing prints after the transaction that made them (seed Art 41, 45): a servicer
whose mutations make documents effective names them, and their PDFs are written once
into the object store beside the recordings. After the commit (and outside it, so that
rendering holds no lock), so a retry of the same request, or the periodic pass, finishes
what a crash left unfinished; intake and cases share it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

from google.protobuf.message import Message

from liuhen.platform.auth import Principal
from liuhen.platform.db import UnitOfWork
from liuhen.platform.printing import registry
from liuhen.platform.server import current_principal
from liuhen.platform.service import ServicerBase

M = TypeVar("M", bound=Message)


class StoresPrints(ServicerBase):
    def printed(self, response: Message) -> Sequence[str]:
        """The documents a mutation's response shows effective (their resource names)."""
        return ()

    def mutate(
        self,
        method: str,
        request: Message,
        response_type: type[M],
        work: Callable[[UnitOfWork, Principal], M],
    ) -> M:
        response = super().mutate(method, request, response_type, work)
        names = self.printed(response)
        if names:
            self.store_prints(names)
        return response

    def store_prints(self, names: Sequence[str]) -> None:
        """Render, record and store each print after the commit, outside any transaction
        (registry.finish): a failure here is completed by the periodic pass."""

        def work(uow: UnitOfWork, who: Principal) -> list[registry.PrintRow]:
            return [r for r in (registry.find(uow, n) for n in names) if r is not None]

        p, tenant = self.platform, current_principal().tenant
        for row in self.read(work):
            registry.finish_and_store(p.db, p.objects, tenant, row)
