"""Evidence of a service (seed Art 37(2)–(6)): each object is hashed and written once into
the tenant's object store under retention, as the recordings and the printed documents
are (the store locks it and copies it off-site, Art 41, 45), before the service is
recorded; the record and the ledger carry its hash. Storing the same bytes again is
harmless: the key is the hash."""

from __future__ import annotations

import contextlib
import hashlib
from datetime import datetime

from liuhen.platform.ports import ObjectExists, ObjectStore
from liuhen.platform.printing import retention
from services.enforcement.methods import Evidence


def store(
    objects: ObjectStore,
    tenant: str,
    *,
    case_id: str,
    kind: str,
    content: bytes,
    content_type: str,
    description: str,
    now: datetime,
) -> Evidence:
    digest = hashlib.sha256(content).hexdigest()
    key = f"service-evidence/{case_id}/{digest}"
    objects.ensure_bucket(tenant)
    with contextlib.suppress(ObjectExists):
        objects.put(
            tenant,
            key,
            iter([content]),
            metadata={"kind": kind, "case": case_id, "content_type": content_type or ""},
            retain_until=retention.until(now, retention.default_years()),
        )
    return Evidence(
        kind=kind,
        sha256=digest,
        object_key=key,
        size=len(content),
        content_type=content_type,
        description=description,
    )
