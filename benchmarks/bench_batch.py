"""Batch throughput and memory: ``privtag batch`` local engine against Ray on the same policies.

Runs the command as a subprocess and samples the resident memory of its whole process
tree (for Ray: the driver, raylet, GCS and the actors) every half second; reports the
run's own summary line (policies/s, sentences/s: tagging time, model loading excluded),
the wall time of the whole command, and the peak summed RSS.

    python benchmarks/bench_batch.py --limit 100 --engine local --out /tmp/b/local.parquet
    python benchmarks/bench_batch.py --limit 100 --engine ray --out /tmp/b/ray.parquet
"""

from __future__ import annotations

import argparse
import contextlib
import subprocess
import sys
import time
from pathlib import Path

import psutil

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "policies.jsonl.gz"


def tree_rss(proc: psutil.Process) -> int:
    total = 0
    for p in [proc, *proc.children(recursive=True)]:
        with contextlib.suppress(psutil.Error):  # a worker that just ended
            total += p.memory_info().rss
    return total


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=int, default=100)
    ap.add_argument("--engine", default="local")
    ap.add_argument("--out", required=True)
    ap.add_argument("--input", default=str(CORPUS))
    ap.add_argument("extra", nargs="*", help="more privtag batch options (after --)")
    args = ap.parse_args()
    cmd = ["privtag", "batch", args.input, "--limit", str(args.limit), "-o", args.out]
    cmd += ["--engine", args.engine, "--no-progress", *args.extra]
    print("$", " ".join(cmd), flush=True)
    print("load average before:", " ".join(f"{x:.2f}" for x in psutil.getloadavg()), flush=True)
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "privtag.cli", *cmd[1:]])
    ps, peak = psutil.Process(proc.pid), 0
    while proc.poll() is None:
        peak = max(peak, tree_rss(ps))
        time.sleep(0.5)
    wall = time.perf_counter() - start
    print(
        f"exit {proc.returncode}; wall {wall:.1f} s; peak RSS of the process tree "
        f"{peak / 2**20:.0f} MiB",
        flush=True,
    )


if __name__ == "__main__":
    main()
