"""The README's table from bench/results.jsonl: the latest figure of each benchmark and
profile, with its baseline, ratio and whether the target (issue 13) is met.

Run: `python -m bench.table [RESULTS]`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from bench.common import RESULTS


def row(d: dict[str, Any]) -> tuple[str, str, str, str, str]:
    met = {True: "✅ met", False: "❌ not met", None: "-"}[d.get("target_met")]
    b = d["bench"]
    if b == "commands":
        r, base = d["result"], d["bare_insert"]
        return (
            f"{d['command']}, {d['callers']} callers",
            f"{r['per_s']:.0f}/s, p50 {r['p50_ms']:.0f} ms, p99 {r['p99_ms']:.0f} ms"
            + (f", {r['errors']} of {r['calls'] + r['errors']} failed" if r["errors"] else ""),
            f"bare INSERT {base['per_s']:.0f}/s, p99 {base['p99_ms']:.0f} ms "
            f"(echo {d['echo']['per_s']:.0f}/s)",
            f"{d['ratio_throughput']:.3f}× thr., p99 {d['ratio_p99']:.1f}×",
            met,
        )
    if b == "ledger_verify":
        return (
            f"verify a case of {d['entries']:,} entries",
            f"{d['verify_ms']:.0f} ms (read {d['read_only_ms']:.0f} ms, recompute "
            f"{d['recompute_only_ms']:.0f} ms)"
            if "read_only_ms" in d
            else f"{d['verify_ms']:.0f} ms (recompute alone {d['recompute_only_ms']:.0f} ms)",
            f"raw SHA-256 {d['raw_sha256_ms']:.1f} ms",
            f"{d['ratio']:.3f}×",
            met,
        )
    if b == "city":
        r, base = d["result"], d["bare_select"]
        return (
            f"{d['query']}, {d['cases_per_tenant']:,} cases × {d['tenants']} tenants",
            f"p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms",
            f"bare SELECT p50 {base['p50_ms']:.2f} ms, p99 {base['p99_ms']:.2f} ms",
            f"p99 {d['ratio_p99']:.1f}×",
            met,
        )
    if b == "growth":
        r, base = d["result"], d["baseline"]
        return (
            f"{d['call']}, case of {d['documents']:,} documents",
            f"p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms",
            f"same call, {d['baseline_documents']}-document case: p50 {base['p50_ms']:.1f} ms",
            f"p50 {d['ratio_p50']:.1f}×",
            "-",
        )
    if b == "upload":
        return (
            f"UploadRecording of {d['size_mib']:.0f} MiB",
            f"{d['media_mib_s']:.0f} MiB/s, media RSS +{d['media_rss_growth_mib']:.0f} MiB",
            f"hash + write twice {d['hash_write_twice_mib_s']:.0f} MiB/s "
            f"(grpcio sink {d['sink_mib_s']:.0f} MiB/s)",
            f"{d['ratio']:.2f}× (sink {d['ratio_sink']:.2f}×)",
            met,
        )
    if b == "ingest":
        return (
            f"UploadRecording of {d['size_mib']:.0f} MiB into RGW",
            f"{d['media_mib_s']:.1f} MiB/s, media RSS +{d['media_rss_growth_mib']:.0f} MiB",
            f"minio put_object {d['direct_put_mib_s']:.1f} MiB/s",
            f"{d['ratio']:.2f}×",
            met,
        )
    if b == "concurrent_uploads":
        return (
            f"{d['uploads']} concurrent uploads × {d['each_mib']:.0f} MiB, "
            f"{d['tenants']} districts",
            f"{d['aggregate_mib_s']:.1f} MiB/s, {d['failed']} failed; health check worst "
            f"{d['health_busy_worst_ms']:.0f} ms (p50 {d['health_busy_p50_ms']:.0f} ms)",
            f"health check idle p50 {d['health_idle_p50_ms']:.1f} ms, "
            f"p99 {d['health_idle_p99_ms']:.1f} ms",
            f"worst {d['ratio_worst_to_idle_p99']:.0f}× idle p99",
            met,
        )
    if b == "crosssite":
        r, m = d["at_rate"], d["at_max"]
        br, bm = d["bare_at_rate"], d["bare_at_max"]
        return (
            f"assistance request to the other district's inbox ({d['log']})",
            f"at {d['rate']:.0f}/s offered: p50 {r['p50_ms']:.0f} ms, p99 {r['p99_ms']:.0f} ms; "
            f"sustained {m['sustained_per_s']:.1f}/s"
            + (
                f"; at {d['low_rate']:.0f}/s p50 {d['at_low_rate']['p50_ms']:.0f} ms"
                if "at_low_rate" in d
                else ""
            ),
            f"bare produce → consume: p50 {br['p50_ms']:.0f} ms, p99 {br['p99_ms']:.0f} ms; "
            f"{bm['sustained_per_s']:.0f}/s",
            f"{d['ratio_sustained']:.3f}× sustained, p50 {d['ratio_p50']:.0f}×",
            met,
        )
    return (b, "", "", "", met)


def main() -> None:
    path = Path(sys.argv[1]) if len(sys.argv) > 1 else RESULTS
    latest: dict[tuple[str, ...], dict[str, Any]] = {}
    for line in path.read_text().splitlines():
        d = json.loads(line)
        what = d.get("command") or d.get("query") or d.get("call")
        size = d.get("callers") or d.get("cases_per_tenant") or d.get("documents") or ""
        size = size or d.get("size_mib") or d.get("each_mib") or d.get("rate") or ""
        key = (d["profile"], d["bench"], str(what), str(size))
        latest[key] = d
    print("| profile | what | measured | baseline (same run) | ratio | target |")
    print("|---|---|---|---|---|---|")
    for d in latest.values():
        print(f"| {d['profile']} | " + " | ".join(row(d)) + " |")


if __name__ == "__main__":
    main()
