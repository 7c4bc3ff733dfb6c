"""CPU time of ``Tagger.tag()`` for two source trees in turn: did a change cost speed?

Usage:
    python benchmarks/bench_ab.py OLD_SRC NEW_SRC [--policies 5] [--rounds 2]

Each round runs a fresh process per tree (``PYTHONPATH=TREE``) that loads the shipped
model, tags one warm-up OPP-115 policy, then tags the next ``--policies`` and prints the
process CPU time spent. One torch thread: on a shared machine, two threads spin-wait
for each other and inflate CPU time many times over, which hides any real difference.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys

CHILD = """
import os, sys, time
from pathlib import Path
import torch
torch.set_num_threads(1)
try:
    from privtag.inference.tagger import Tagger
except ImportError:  # a tree from before the subpackages
    from privtag import Tagger
tagger = Tagger.load()
files = sorted(Path(sys.argv[1]).glob("*.html"))[: int(sys.argv[2]) + 1]
tagger.tag(files[0].read_bytes())
start = time.process_time()
n = sum(len(tagger.tag(f.read_bytes()).sentences) for f in files[1:])
print(f"{time.process_time() - start:.2f} {n}")
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--policies", type=int, default=5)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--opp115", default="../shared/opp115")
    args = ap.parse_args()
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
    policies = os.path.join(args.opp115, "sanitized_policies")
    times: dict[str, list[float]] = {"old": [], "new": []}
    for _ in range(args.rounds):
        for name in ("old", "new"):
            run = subprocess.run(
                [sys.executable, "-c", CHILD, policies, str(args.policies)],
                env={**env, "PYTHONPATH": getattr(args, name)},
                capture_output=True,
                text=True,
                check=True,
            )
            cpu, n = run.stdout.split()[-2:]
            times[name].append(float(cpu))
            print(f"{name}: {float(cpu):.2f} CPU s for {n} sentences")
    old, new = min(times["old"]), min(times["new"])
    print(f"best of {args.rounds}: old {old:.2f} s, new {new:.2f} s, new/old {new / old:.3f}")


if __name__ == "__main__":
    main()
