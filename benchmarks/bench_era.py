"""How often the ``auto`` rule reads a policy as written under today's privacy laws.

``--thresholds auto`` (the default) gives a policy that names the GDPR, the CCPA or one of
the other terms of :data:`privtag.inference.era.ERA_TERMS` the model's profile for current
policies, and any other policy the thresholds tuned on OPP-115. This script counts, per
collection, the policies the rule flags:

- OPP-115 (the 95 policies here, about 2015): a flagged one would lose the tuned
  thresholds, so this should be 0;
- the dated versions of ``versions.jsonl.gz``, before and after the GDPR (May 2018);
- the unlabelled corpus by source (DMOZ: crawled pages of many ages; ToS;DR snapshots to
  2021; Open Terms Archive: current);
- privtag's own annotated policies (seed, modern dev, modern train, modern check set).

Local policy files and OPP-115 are read as ``tag()`` reads them (``segment_file``); the
corpus records' text is searched as stored. It also prints the rule's speed.

Run (about a minute)::

    python benchmarks/bench_era.py [--opp115 DIR] [--corpus DIR]
"""

from __future__ import annotations

import argparse
import collections
import gzip
import json
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
POLICY_SUFFIXES = (".txt", ".md", ".html", ".htm")


def local_texts(folder: Path) -> dict[str, str]:
    """``{file name: the text tag() would search}`` of the policy files in ``folder``."""
    from privtag.segmentation.document import segment_file

    return {
        p.name: segment_file(p).text
        for p in sorted(folder.iterdir())
        if p.suffix in POLICY_SUFFIXES and p.stem.upper() not in ("README", "ATTRIBUTION")
    }


def collections_of(opp115: Path | None, corpus: Path) -> dict[str, list[str]]:
    """Every collection's policy texts, in the order the table prints them."""
    out: dict[str, list[str]] = {}
    if opp115 is not None:
        out["OPP-115 (95 policies here, about 2015)"] = list(
            local_texts(opp115 / "sanitized_policies").values()
        )
    versions = corpus / "versions.jsonl.gz"
    if versions.is_file():
        old, new = [], []
        with gzip.open(versions, "rt", encoding="utf-8") as f:
            for line in f:
                rec = json.loads(line)
                (old if rec["date"] < "2018-05-25" else new).append(rec["text"])
        out["dated versions before 2018-05-25 (GDPR in force)"] = old
        out["dated versions from 2018-05-25"] = new
    policies = corpus / "policies.jsonl.gz"
    if policies.is_file():
        by_source = collections.defaultdict(list)
        with gzip.open(policies, "rt", encoding="utf-8") as f:
            for line in f:
                rec = json.loads(line)
                by_source[rec["source"]].append(rec["text"])
        for source, texts in sorted(by_source.items()):
            out[f"corpus: {source}"] = texts
    data = ROOT / "data" / "policies"
    out["privtag seed policies"] = list(local_texts(data).values())
    for name in ("modern-dev", "modern-train", "modern"):
        if (data / name).is_dir():
            out[f"privtag {name}"] = list(local_texts(data / name).values())
    return out


def main(argv: list[str] | None = None) -> None:
    from privtag.data.opp115 import default_root
    from privtag.inference.era import gdpr_era_terms

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--opp115", type=Path, default=None, help="OPP-115 folder (default: found)")
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus")
    args = ap.parse_args(argv)
    opp115 = args.opp115 or default_root()
    groups = collections_of(opp115, args.corpus)
    print("| collection | policies | read as current | share | most frequent terms |")
    print("|---|---:|---:|---:|---|")
    chars, seconds = 0, 0.0
    for name, texts in groups.items():
        terms: collections.Counter = collections.Counter()
        flagged = 0
        for text in texts:
            start = time.perf_counter()
            found = gdpr_era_terms(text)
            seconds += time.perf_counter() - start
            chars += len(text)
            flagged += bool(found)
            terms.update(found)
        top = ", ".join(f"{t} {n}" for t, n in terms.most_common(3)) or "-"
        share = f"{flagged / len(texts):.0%}" if texts else "-"
        print(f"| {name} | {len(texts):,} | {flagged:,} | {share} | {top} |")
    print(
        f"\nThe rule read {chars / 1e6:.1f} M characters in {seconds:.1f} s "
        f"({chars / max(seconds, 1e-9) / 1e6:.1f} M characters/s)."
    )


if __name__ == "__main__":
    main()
