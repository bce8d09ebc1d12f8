"""Where the time goes: a py-spy raw profile (collapsed stacks, `LIUHEN_BENCH_PYSPY=1`)
summed per function, inclusive and self, for the threads that served calls.

Run: `python -m bench.spy_summary bench/profiles/<name>.txt [TOP]`.
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path


def summary(path: Path, top: int = 25) -> str:
    inclusive: Counter[str] = Counter()
    self_: Counter[str] = Counter()
    total = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        # Only the threads that served calls: their stacks pass through grpc's worker.
        if not any(
            "_unary_response_in_pool" in f or "_stream_response_in_pool" in f for f in frames
        ):
            continue
        n = int(count)
        total += n
        seen = set()
        for f in frames:
            name = (
                f.split(" (")[0] + " (" + f.split(" (")[-1].split(":")[0].split("/")[-1] + ")"
                if " (" in f
                else f
            )
            if name not in seen:
                inclusive[name] += n
                seen.add(name)
        last = frames[-1]
        self_[last.split(" (")[0] + " " + last.split("/")[-1]] += n
    out = [f"{total} samples in serving threads", "inclusive:"]
    out += [f"  {100 * c / total:5.1f}%  {f}" for f, c in inclusive.most_common(top)]
    out.append("self:")
    out += [f"  {100 * c / total:5.1f}%  {f}" for f, c in self_.most_common(top)]
    return "\n".join(out)


if __name__ == "__main__":
    print(summary(Path(sys.argv[1]), int(sys.argv[2]) if len(sys.argv) > 2 else 25))
