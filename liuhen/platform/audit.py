"""Checking a case against its site's witnessed ledger log (DESIGN §4; seed Art 45).

The chain (ledger.verify_chain) catches an edit of one entry; a rewrite by the
database's owner that recomputes every hash after it, and the log's stored subtrees
too, passes the chain but no longer matches the root of the newest checkpoint the
witness cosigned. That root is checked against the tree the database holds; where they
differ, the entry the rewrite broke is the first one of the case whose leaf differs
from the leaf hash written under Object Lock for that checkpoint (archive.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from liuhen.platform import checkpoints, ledger, merkle, tlog
from liuhen.platform.archive import Archive
from liuhen.platform.catalogue import witness_of
from liuhen.platform.db import UnitOfWork
from liuhen.platform.ledger import Entry, Leaf, Verification
from liuhen.platform.logkeys import Keyring
from liuhen.platform.note import Checkpoint, NoteError, open_checkpoint


@dataclass(frozen=True)
class Audit:
    verification: Verification
    checkpoint_size: int = 0
    unwitnessed: int = 0


@dataclass(frozen=True)
class Witnessed:
    checkpoint: Checkpoint
    note: str


def witnessed(uow: UnitOfWork, keys: Keyring) -> Witnessed | None:
    """The newest checkpoint of the tenant's log that the log's key signed and its
    witness cosigned; raises NoteError if the stored note does not verify."""
    signed = checkpoints.latest_witnessed(uow)
    if signed is None:
        return None
    witness = witness_of(uow.tenant)
    cp, cosigned = open_checkpoint(
        signed.note, keys.log_key(uow.tenant), [keys.witness_key(witness)]
    )
    if not cosigned:
        raise NoteError(f"the checkpoint of size {cp.size} lacks a valid cosignature of {witness}")
    return Witnessed(cp, signed.note)


def verify_case(uow: UnitOfWork, case_id: str, keys: Keyring, archive: Archive | None) -> Audit:
    # The chain by ledger.verify's fast path over plain rows, and the leaves from the same
    # rows: no Entry is built for an intact case (the Entry path answers for any other).
    rows = ledger.chain_rows(uow, case_id)
    chain = ledger.verify_rows(uow.tenant, case_id, rows) or ledger.verify(uow, case_id)
    if not chain.ok:
        return Audit(chain)
    entries = ledger.leaves(rows)
    try:
        head = witnessed(uow, keys)
    except NoteError as exc:
        return Audit(Verification(False, chain.entries, 0, str(exc), chain.head_hash))
    if head is None:
        return Audit(chain, 0, len(entries))
    size = head.checkpoint.size
    covered = [e for e in entries if 0 <= e.leaf_index < size]
    tree_intact = tlog.root(uow, size) == head.checkpoint.root
    broken = (_not_included if tree_intact else _rewritten)(uow, covered, head, archive)
    if broken is not None:
        entry, why = broken
        return Audit(Verification(False, chain.entries, entry.seq, why, chain.head_hash), size)
    if not tree_intact:
        detail = (
            f"the log no longer has the root its witness cosigned at size {size}: "
            "an entry of another case was rewritten"
        )
        return Audit(Verification(False, chain.entries, 0, detail, chain.head_hash), size)
    return Audit(chain, size, len(entries) - len(covered))


def _leaf(e: Leaf) -> bytes:
    return merkle.leaf_hash(bytes.fromhex(e.hash))


def _not_included(
    uow: UnitOfWork, covered: list[Leaf], head: Witnessed, _archive: Archive | None
) -> tuple[Leaf, str] | None:
    """The tree still has the witnessed root: the first entry it does not hold."""
    size, root = head.checkpoint.size, head.checkpoint.root
    for e in covered:
        try:
            proof = tlog.inclusion_proof(uow, e.leaf_index, size)
            merkle.verify_inclusion(e.leaf_index, size, _leaf(e), proof, root)
        except merkle.ProofError:
            return (
                e,
                f"entry {e.seq} is not the entry the witnessed log holds at leaf {e.leaf_index}",
            )
    return None


def _rewritten(
    uow: UnitOfWork, covered: list[Leaf], head: Witnessed, archive: Archive | None
) -> tuple[Leaf, str] | None:
    """The tree was rewritten: the first entry whose leaf differs from the locked one."""
    if archive is None:
        return None
    size, log_id = head.checkpoint.size, tlog.log_id(uow)
    for e in covered:
        locked = archive.leaf_hash(uow.tenant, log_id, e.leaf_index, size)
        if locked is not None and locked != _leaf(e):
            return e, (
                f"entry {e.seq} was rewritten: its leaf {e.leaf_index} differs from the one "
                f"witnessed at size {size} and kept under Object Lock"
            )
    return None


@dataclass(frozen=True)
class Proofs:
    checkpoint: str
    entries: list[tuple[Entry, list[bytes]]]
    verifier_keys: list[str]


def proofs_for_case(uow: UnitOfWork, case_id: str, keys: Keyring) -> Proofs:
    """Every entry of the case with its inclusion proof against the newest witnessed
    checkpoint (an entry after it gets no proof), and the keys that check it."""
    head = witnessed(uow, keys)
    size = head.checkpoint.size if head else 0
    out = []
    for e in ledger.entries(uow, case_id):
        proof = tlog.inclusion_proof(uow, e.leaf_index, size) if 0 <= e.leaf_index < size else []
        out.append((e, proof))
    vkeys = [keys.log_key(uow.tenant).vkey(), keys.witness_key(witness_of(uow.tenant)).vkey()]
    return Proofs(head.note if head else "", out, vkeys)
