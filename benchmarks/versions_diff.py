"""Which practices changed between the oldest and newest version of 40 services' policies.

Reads ``../shared/corpus/versions.jsonl.gz`` (Open Terms Archive and ToS;DR version
histories, ODC-BY 1.0), tags the oldest and the newest version of every service with the
shipped model, runs :func:`privtag.diff` on each pair and counts, per label, the
services where the label's status changed (addressed <-> not addressed) and where any
sentence carrying it was added, removed, or relabelled. Prints a Markdown table; with
``--json FILE`` also writes per-service counts (service names and numbers only, no
policy text).

    python benchmarks/versions_diff.py --json /tmp/versions.json
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
from collections import defaultdict
from pathlib import Path

from privtag.batch.taggers import load_tagger
from privtag.labels import LABELS
from privtag.policy_diff import diff

VERSIONS = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "versions.jsonl.gz"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--versions", default=str(VERSIONS))
    ap.add_argument("--json", help="write per-service counts here (after every service)")
    ap.add_argument("--model", help="model directory (default: model/), rules, or tfidf:DIR")
    args = ap.parse_args()
    by_service = defaultdict(list)
    with gzip.open(args.versions, "rt", encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            # four services have a history in both sources: 40 histories, 36 names
            by_service[f"{r['service']} [{r['source']}]"].append(r)
    tagger = load_tagger(args.model)
    start = time.perf_counter()
    status, touched, per_service, sentences = defaultdict(int), defaultdict(int), {}, 0
    for service, versions in sorted(by_service.items()):
        versions.sort(key=lambda r: int(r["version"]))
        old, new = versions[0], versions[-1]
        tagged = [tagger.tag(v["text"].encode("utf-8"), format="markdown") for v in (old, new)]
        sentences += sum(len(t.sentences) for t in tagged)
        d = diff(*tagged)
        changes = {}
        for ch in d.labels:
            if ch.old_addressed != ch.new_addressed:
                status[ch.label] += 1
            if ch.added or ch.removed or ch.gained or ch.lost:
                touched[ch.label] += 1
            if ch.changed:
                changes[ch.label] = {
                    "status": ch.status,
                    "added": len(ch.added),
                    "removed": len(ch.removed),
                    "relabelled": len(ch.gained) + len(ch.lost),
                }
        per_service[service] = {
            "source": old["source"],
            "oldest": old["date"],
            "newest": new["date"],
            "versions": len(versions),
            "alignment": d.counts(),
            "changes": changes,
        }
        print(f"{service}: {old['date']} -> {new['date']}, {d.counts()}", flush=True)
        if args.json:  # written as it goes: a long run stopped early still reports
            Path(args.json).write_text(json.dumps(per_service, indent=2) + "\n")
    seconds = time.perf_counter() - start
    n = len(per_service)
    print(f"\n{n} services, {sentences} sentences tagged in {seconds:.0f} s\n")
    print("| label | status changed | sentences added, removed or relabelled |")
    print("|---|---:|---:|")
    for name in LABELS:
        print(f"| {name} | {status[name]} | {touched[name]} |")
    identical = sum(1 for s in per_service.values() if not s["changes"])
    any_status = sum(
        1 for s in per_service.values() if any("->" in c["status"] for c in s["changes"].values())
    )
    print(
        f"\nservices with no change in any practice: {identical} of {n}; with a status "
        f"change in at least one practice: {any_status} of {n}"
    )


if __name__ == "__main__":
    main()
