"""Growth with a case: GetCase, ListLedgerEntries (first page), DraftDocument and GetCaseFile on
cases of 1, 100 and 1,000 documents, through the cases service over gRPC. The baseline
is the same call on the 1-document case in the same run: the ratio says how the cost
grows with the case (target, issue 13: GetCase and DraftDocument flat, and since issue 12
GetCase carries no documents or ledger, so flat by construction; a first page of the
ledger flat too; the case file linear in what it lists).

Sizes: `python -m bench.growth 1 100 1000` (default, or LIUHEN_BENCH_GROWTH_SIZES);
`LIUHEN_BENCH_GROWTH_ROUNDS` calls per figure (default 50). The documents are drafted
through the service (16 callers), so a 1,000-document case takes a while to make.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable

from bench.common import drain, emit, figures, py_spy, show, site
from liuhen.cases.v1 import cases_pb2 as pb
from liuhen.platform.config import SERVICES
from tests.support import file_case, rid

TENANT = "jiangan"


def timed(call: Callable[[], object], rounds: int) -> dict[str, float]:
    lat = []
    t0 = time.perf_counter()
    for _ in range(rounds):
        s = time.perf_counter()
        call()
        lat.append(time.perf_counter() - s)
    return figures(rounds / (time.perf_counter() - t0), lat)


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or [
        int(x) for x in os.environ.get("LIUHEN_BENCH_GROWTH_SIZES", "1,100,1000").split(",")
    ]
    rounds = int(os.environ.get("LIUHEN_BENCH_GROWTH_ROUNDS", "50"))
    with site(SERVICES) as s:
        handler = s.client("cases", TENANT, "handler1")
        base: dict[str, dict[str, float]] = {}
        for size in sizes:
            case = file_case(s, TENANT)

            def draft(case: str = case) -> object:
                return handler.DraftDocument(
                    pb.DraftDocumentRequest(
                        request_id=rid(),
                        case=case,
                        type="inspection_record",
                        content_json='{"findings": "现场检查：工资表未发放"}',
                    )
                )

            t0 = time.perf_counter()
            drain([draft] * size, 16)
            made = time.perf_counter() - t0
            calls = {
                "GetCase": lambda case=case: handler.GetCase(pb.GetCaseRequest(name=case)),
                "ListLedgerEntries": lambda case=case: handler.ListLedgerEntries(
                    pb.ListLedgerEntriesRequest(parent=case)
                ),
                "GetCaseFile": lambda case=case: handler.GetCaseFile(
                    pb.GetCaseFileRequest(case=case)
                ),
                "DraftDocument": draft,
            }
            for name, call in calls.items():
                call()  # warm
                with py_spy(f"growth-{name.replace(' ', '-')}-{size}"):
                    got = timed(call, rounds)
                first = base.setdefault(name, got)
                emit(
                    "growth",
                    f"{name:<17} {size:>5} documents {show(got)} | p50 × "
                    f"{got['p50_ms'] / first['p50_ms']:.1f} of the {sizes[0]}-document case",
                    call=name,
                    documents=size,
                    setup_s=round(made, 1),
                    result=got,
                    baseline_documents=sizes[0],
                    baseline=first,
                    ratio_p50=round(got["p50_ms"] / first["p50_ms"], 2),
                )


if __name__ == "__main__":
    main()
