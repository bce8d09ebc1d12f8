"""The copies of a recording (domain, no I/O): the off-site copy as a durable task
(异地备份, seed Art 41) and the fixity of both copies (不得…删改, seed Art 45).

A recording is written to the primary store, and its off-site copy is a task row
committed with the recording itself, so a crash between the two loses nothing: the
copier resumes it after a restart, and until then the copy is `pending`, not
`missing`. Fixity re-hashes both copies: bytes that no longer hash to what was
recorded are a finding (an alarm, and an entry in the case's ledger).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from liuhen.platform.errors import InvalidArgument

# Task states of an off-site copy.
COPY_PENDING, COPY_DONE, COPY_FAILED = "pending", "copied", "failed"

# What VerifyOffsiteCopy answers (the proto's OffsiteState, lower-case).
PENDING, VERIFIED, MISSING, MISMATCH = "pending", "verified", "missing", "mismatch"
OFFSITE_STATES = (PENDING, VERIFIED, MISSING, MISMATCH)

# What CheckFixity answers.
INTACT, ALTERED, UNREADABLE = "intact", "altered", "unreadable"
OFFSITE_MISSING = "offsite_missing"  # the copier made the copy and it is gone


@dataclass
class OffsiteCopy:
    """Task: copy one recording off-site (seed Art 41 异地备份)."""

    recording_id: str
    tenant_id: str
    case_id: str
    object_key: str
    sha256: str
    state: str
    attempts: int
    created: datetime
    done_at: datetime | None = None
    offsite_sha256: str = ""
    detail: str = ""
    fixity_checked_at: datetime | None = None  # last periodic re-hash of both copies


def new_copy(
    *, recording_id: str, tenant: str, case_id: str, key: str, sha256: str, now: datetime
) -> OffsiteCopy:
    return OffsiteCopy(recording_id, tenant, case_id, key, sha256, COPY_PENDING, 0, now)


def offsite_state(sha256: str, offsite_sha256: str | None, *, pending: bool = False) -> str:
    """Whether the off-site copy holds the same bytes (Art 41 异地备份; DESIGN §6). A copy
    the copier has not made yet is pending; one it made and that is gone is missing."""
    if offsite_sha256 is None:
        return PENDING if pending else MISSING
    return VERIFIED if offsite_sha256 == sha256 else MISMATCH


def wait_seconds(value: float, cap: float) -> float:
    """How long VerifyOffsiteCopy may wait for the copy: a finite number of seconds from
    0 to `cap` (a NaN or endless wait would hold the call for callers long gone)."""
    if not math.isfinite(value) or value < 0 or value > cap:
        raise InvalidArgument(
            "BAD_WAIT",
            f"wait_seconds must be a number from 0 to {cap:g}",
            f"wait_seconds 应为 0 至 {cap:g} 之间的秒数",
            field="wait_seconds",
        )
    return value


def fixity(sha256: str, primary: str | None, offsite: str | None, *, copied: bool = False) -> str:
    """Intact when every copy that exists hashes to the recorded SHA-256; a copy that
    is missing or hashes otherwise is a finding (Art 45: 不得…删改). Once the copier has
    made the off-site copy (`copied`), its absence is a finding too (Art 41 异地备份)."""
    if primary is None:
        return UNREADABLE
    if primary != sha256 or (offsite is not None and offsite != sha256):
        return ALTERED
    if copied and offsite is None:
        return OFFSITE_MISSING
    return INTACT
