"""Time of the sentence alignment of ``privtag diff`` on policies of template sentences.

Two versions of N sentences such as "We may share your device and profile information
with vendor 33432 when you use service 15455.", numbers drawn with a fixed seed, the new
version with every fifth sentence edited (its last number changed): every pair of sentences shares most of its
words, the worst case of the fuzzy pass (``privtag.policy_diff.align``). Prints, per N,
the CPU seconds of ``align``, how many pairs it scored with ``difflib`` ratio, and how
many edited sentences it paired with their true partner (of N / 5).

With ``--versions``, it aligns the oldest and newest version of each of the 40 policy
histories of ``../shared/corpus/versions.jsonl.gz`` (segmented as ``privtag diff`` reads
them) both with the cap on scored pairs and without it, and counts the pairs that differ:
what the cap changes on real policies.

Run (seconds; ``--versions`` about a minute)::

    python benchmarks/bench_diff_align.py [--sizes 200 400 800] [--edit-every 5]
    python benchmarks/bench_diff_align.py --versions ../shared/corpus/versions.jsonl.gz
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import time
from collections import defaultdict
from difflib import SequenceMatcher
from types import SimpleNamespace

import privtag.policy_diff as policy_diff

TEMPLATE = "We may share your {what} information with {who} number {a} when you use service {b}."
WHAT = ("device", "profile", "location", "contact", "usage")
WHO = ("vendors", "partners", "advertisers", "affiliates")


def versions(n: int, every: int = 5, seed: int = 13) -> tuple[list, list]:
    """Two lists of sentence stand-ins (``.text``): old, and new with every ``every``-th edited."""
    rng = random.Random(seed)

    def line() -> str:
        return TEMPLATE.format(
            what=rng.choice(WHAT),
            who=rng.choice(WHO),
            a=rng.randrange(10**5),
            b=rng.randrange(10**5),
        )

    old = [line() for _ in range(n)]
    # an edit changes the service number: the true partner of every edited sentence is known
    new = [t.rsplit(" ", 1)[0] + f" {rng.randrange(10**5)}." if k % every == 0 else t
           for k, t in enumerate(old)]  # fmt: skip
    wrap = lambda texts: [SimpleNamespace(text=t) for t in texts]  # noqa: E731
    return wrap(old), wrap(new)


class CountingMatcher(SequenceMatcher):
    """SequenceMatcher that counts ratio() calls (the quadratic part)."""

    calls = 0

    def ratio(self) -> float:
        CountingMatcher.calls += 1
        return super().ratio()


def real_versions(path: str) -> None:
    """Alignments of 40 real histories with the cap and without it (see the docstring)."""
    from privtag.segmentation import segment

    by_service = defaultdict(list)
    with gzip.open(path, "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            by_service[f"{r['service']} [{r['source']}]"].append(r)
    cap = policy_diff.CANDIDATES
    totals = {"histories": 0, "pairs": 0, "different": 0, "capped s": 0.0, "uncapped s": 0.0}
    for _, versions in sorted(by_service.items()):
        versions.sort(key=lambda r: int(r["version"]))
        old, new = (
            segment(v["text"], format="markdown").sentences for v in (versions[0], versions[-1])
        )
        runs = {}
        for name, k in (("capped", cap), ("uncapped", 10**9)):
            policy_diff.CANDIDATES = k
            start = time.process_time()
            runs[name] = [
                (p.old and p.old.id, p.new and p.new.id, p.kind)
                for p in policy_diff.align(old, new)
            ]
            totals[f"{name} s"] += time.process_time() - start
        policy_diff.CANDIDATES = cap
        totals["histories"] += 1
        totals["pairs"] += len(runs["uncapped"])
        totals["different"] += len(set(runs["uncapped"]) ^ set(runs["capped"])) // 2
    print(
        f"{totals['histories']} histories, {totals['pairs']:,} aligned pairs; pairs that differ "
        f"with the cap of {cap}: {totals['different']}; CPU {totals['capped s']:.1f} s capped, "
        f"{totals['uncapped s']:.1f} s uncapped"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[200, 400, 800])
    ap.add_argument("--edit-every", type=int, default=5, help="edit every K-th sentence")
    ap.add_argument("--versions", help="versions.jsonl.gz: compare the cap on real histories")
    args = ap.parse_args()
    if args.versions:
        return real_versions(args.versions)
    policy_diff.SequenceMatcher = CountingMatcher
    print("| sentences per version | CPU seconds | pairs scored (ratio) | edits paired right |")
    print("| ---: | ---: | ---: | ---: |")
    for n in args.sizes:
        old, new = versions(n, args.edit_every)
        CountingMatcher.calls = 0
        start = time.process_time()
        pairs = policy_diff.align(old, new)
        cpu = time.process_time() - start
        index = {id(s): k for k, s in enumerate(new)}
        found = sum(p.kind == "edited" and index[id(p.new)] == old.index(p.old) for p in pairs)
        edits = len(range(0, n, args.edit_every))
        print(f"| {n:,} | {cpu:.2f} | {CountingMatcher.calls:,} | {found} of {edits} |")


if __name__ == "__main__":
    main()
