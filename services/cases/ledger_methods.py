"""The cases service's ledger-log methods (DESIGN §4; seed Art 45): verify a case against
the witnessed checkpoint, sign a checkpoint on request, and hand out a case's inclusion
proofs for a court bundle. Mixed into CasesServicer."""

from __future__ import annotations

import grpc

from liuhen.cases.v1 import cases_pb2 as pb
from liuhen.platform import audit, checkpoints, ledger, sequencer, witnessing
from liuhen.platform.auth import Principal
from liuhen.platform.db import UnitOfWork
from liuhen.platform.errors import require
from liuhen.platform.server import current_principal
from liuhen.platform.service import ServicerBase, parse_name
from liuhen.platform.timestamps import timestamp
from services.cases import handlers


class LedgerMethods(ServicerBase):
    def VerifyLedger(
        self, request: pb.VerifyLedgerRequest, context: grpc.ServicerContext
    ) -> pb.VerifyLedgerResponse:
        (case_id,) = parse_name(request.case, "cases/*", "case")
        p = self.platform

        def work(uow: UnitOfWork, _who: Principal) -> pb.VerifyLedgerResponse:
            handlers.load_case(uow, case_id)
            a = audit.verify_case(uow, case_id, p.log_keys, p.archive)
            v = a.verification
            return pb.VerifyLedgerResponse(
                ok=v.ok,
                entries=v.entries,
                first_bad_seq=v.first_bad_seq,
                detail=v.detail,
                head_hash=v.head_hash,
                checkpoint_size=a.checkpoint_size,
                unwitnessed=a.unwitnessed,
            )

        return self.read(work)

    def SignCheckpoint(
        self, request: pb.SignCheckpointRequest, context: grpc.ServicerContext
    ) -> pb.SignCheckpointResponse:
        """Signing twice at one size gives the same checkpoint, so a retry is harmless."""
        require(request.request_id, "request_id", "every mutating call carries a client request id")
        p, tenant = self.platform, current_principal().tenant
        signed = witnessing.publish_checkpoint(p.db, p.log_keys, p.archive, tenant)
        if signed is None:
            return pb.SignCheckpointResponse()
        return pb.SignCheckpointResponse(note=signed.note, size=signed.checkpoint.size)

    def ListLedgerAlarms(
        self, request: pb.ListLedgerAlarmsRequest, context: grpc.ServicerContext
    ) -> pb.ListLedgerAlarmsResponse:
        return self.read(
            lambda uow, who: pb.ListLedgerAlarmsResponse(
                alarms=[
                    pb.LedgerAlarm(
                        kind=a.kind,
                        subject=a.subject,
                        detail=a.detail,
                        evidence_json=a.evidence,
                        time=timestamp(a.time),
                    )
                    for a in checkpoints.alarms(uow)
                ]
            )
        )

    def GetLedgerProofs(
        self, request: pb.GetLedgerProofsRequest, context: grpc.ServicerContext
    ) -> pb.GetLedgerProofsResponse:
        (case_id,) = parse_name(request.case, "cases/*", "case")
        keys, db, tenant = self.platform.log_keys, self.platform.db, current_principal().tenant
        # An entry still queued (its command committed a moment ago, or a crash came in
        # between) is integrated first, so that the proofs name its leaf.
        sequencer.drain(lambda: db.unit_of_work(tenant))

        def work(uow: UnitOfWork, _who: Principal) -> pb.GetLedgerProofsResponse:
            handlers.load_case(uow, case_id)
            proofs = audit.proofs_for_case(uow, case_id, keys)
            return pb.GetLedgerProofsResponse(
                checkpoint=proofs.checkpoint,
                entries=[
                    pb.LedgerProof(
                        seq=e.seq,
                        leaf_index=e.leaf_index,
                        entry_json=ledger.canonical({**e.body(), "hash": e.hash}).decode(),
                        proof=proof,
                    )
                    for e, proof in proofs.entries
                ],
                verifier_keys=proofs.verifier_keys,
            )

        return self.read(work)
