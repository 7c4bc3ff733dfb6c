"""End-to-end tagging throughput: ``Tagger.tag()`` on whole policies, segmentation included.

Usage:
    python benchmarks/bench_tag.py [--model DIR] [--opp115 DIR] [--policies N] [--threads T]
        [--aggregate max] [--dtype float32]

Prints sentences per second and policies per second over the OPP-115 sanitized
policies (the model is loaded once, outside the timing; one warm-up policy is not
timed). Target on a 2-core CPU machine: at least 250 sentences/s.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    import torch

    from privtag.data.opp115 import resolve_root
    from privtag.inference.tagger import Tagger

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None, help="model directory (default: model/)")
    ap.add_argument("--opp115", default=None, help="OPP-115 directory")
    ap.add_argument("--policies", type=int, default=0, help="use only the first N policies")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's)")
    ap.add_argument("--aggregate", default=None, help="paragraph aggregation (default: tuned)")
    ap.add_argument("--dtype", default=None, help="auto (default), float32 or bfloat16")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    root = resolve_root(args.opp115)
    files = sorted((root / "sanitized_policies").glob("*.html"))
    if args.policies:
        files = files[: args.policies]
    tagger = Tagger.load(args.model, aggregate=args.aggregate, dtype=args.dtype)
    tagger.tag(files[0], format="opp115")  # warm-up: first-call allocations
    n_sent = n_chars = 0
    start = time.perf_counter()
    for f in files:
        policy = tagger.tag(f, format="opp115")
        n_sent += len(policy.sentences)
        n_chars += len(policy.document.text)
    secs = time.perf_counter() - start
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, torch threads "
        f"{torch.get_num_threads()}, torch {torch.__version__}"
    )
    print(
        f"model: {args.model or 'model/'} (aggregate={tagger.settings['aggregate']}, "
        f"context={tagger.settings['context']}, dtype={str(tagger.dtype).removeprefix('torch.')}, "
        f"batch size {tagger.settings['batch_size']})"
    )
    print(f"policies: {len(files)}, sentences: {n_sent}, characters: {n_chars}")
    print(f"time: {secs:.1f} s")
    print(
        f"throughput: {n_sent / secs:.0f} sentences/s, {len(files) / secs:.2f} policies/s, "
        f"{n_chars / secs / 1e3:.0f} kchar/s"
    )


if __name__ == "__main__":
    main()
