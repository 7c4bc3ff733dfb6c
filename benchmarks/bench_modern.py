"""The modern check set: ``predict()`` on lone sentences against ``tag()`` on whole policies.

The modern set (``data/annotations/modern/``, current Open Terms Archive policies) is for
measurement only: nothing is trained, tuned or selected on it. This script scores one
model on it two ways, as users call privtag:

- ``tag()``: each policy file is segmented and tagged whole, so every sentence is scored
  with its heading and previous sentence; its sentences are matched to the gold records by
  offsets;
- ``predict()``: the same sentence texts, one by one, with no context.

It prints per-label precision/recall/F1 for both (with the keyword rules, which need no
training, as a reference), micro and macro F1, how often the two calls agree, and, for the
labels with at least ``--common`` gold sentences, how far ``predict()`` recall sits from
its precision. With three policies the bootstrap over policies has few distinct resamples
(the table says so), and per-label figures on a handful of sentences are noisy (see the
set's README). Speed here includes segmentation and is on a few hundred sentences: see
``bench_tag.py`` for speed.

Run (about a minute on 2 cores)::

    python benchmarks/bench_modern.py                  # the shipped model
    python benchmarks/bench_modern.py --model runs/x   # any fine-tuned model directory
    python benchmarks/bench_modern.py --thresholds modern  # a threshold profile
    python benchmarks/bench_modern.py --annotations data/annotations/modern-dev \
        --policies data/policies/modern-dev --name "modern dev set"
    python benchmarks/bench_modern.py --markdown benchmarks/modern.md --force
"""

from __future__ import annotations

import argparse
import json
import os
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]


def gold_records(ann_dir: Path, pol_dir: Path) -> list[tuple[Path, list[dict]]]:
    """``(policy file, its sentence records)`` for every annotation file in ``ann_dir``."""
    from privtag.data.annotations import find_policy
    from privtag.errors import DataError

    out = []
    for f in sorted(ann_dir.glob("*.jsonl")):
        path = find_policy(f.stem, pol_dir)
        if path is None:
            raise DataError(f"{f}: no policy file {f.stem}.* in {pol_dir}; pass --policies DIR")
        lines = f.read_text(encoding="utf-8").splitlines()
        out.append((path, [json.loads(line) for line in lines if line.strip()]))
    return out


def main(argv: list[str] | None = None) -> dict:
    import numpy as np

    from privtag.data.records import multi_hot
    from privtag.errors import DataError
    from privtag.evaluation.baselines import RuleTagger
    from privtag.evaluation.crossval_report import agreement
    from privtag.evaluation.harness import Comparison, evaluate_decisions
    from privtag.inference.tagger import Tagger
    from privtag.labels import LABEL2ID, LABELS
    from privtag.outputs import Outputs, write_text

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=None, help="model directory (default: the shipped one)")
    ap.add_argument("--annotations", type=Path, default=ROOT / "data/annotations/modern")
    ap.add_argument("--policies", type=Path, default=ROOT / "data/policies/modern")
    ap.add_argument("--thresholds", default=None, help="threshold profile (e.g. modern)")
    ap.add_argument("--name", default="modern check set", help="what the set is called")
    ap.add_argument("--common", type=int, default=20, help="gold sentences for a common label")
    ap.add_argument("--markdown", type=Path, help="also write the tables here")
    ap.add_argument("--json", type=Path, help="also write every figure here")
    ap.add_argument("--force", action="store_true", help="replace --markdown/--json files")
    args = ap.parse_args(argv)
    # refuse a bad output before a minute of tagging, not after
    outs = Outputs(inputs=[args.annotations, args.policies, args.model], force=args.force)
    outs.file(args.markdown, "--markdown", (".md",))
    outs.file(args.json, "--json", (".json",))

    tagger = Tagger.from_pretrained(args.model, thresholds=args.thresholds)
    rules = RuleTagger()
    gold, tagged, lone, keyword, policies, texts_all = [], [], [], [], [], []
    chosen = {}  # the profile tag() used for each policy ("auto" picks per policy)
    seconds = dict.fromkeys(("rules (lone)", "predict() lone", "tag() in policy"), 0.0)
    for path, records in gold_records(args.annotations, args.policies):
        t0 = time.perf_counter()
        policy = tagger.tag_file(path)
        seconds["tag() in policy"] += time.perf_counter() - t0
        by_offsets = {(s.start, s.end): s.labels for s in policy.sentences}
        chosen[path.stem] = policy.metadata["profile"]
        texts = [r["text"] for r in records]
        for r in records:
            if (r["start"], r["end"]) not in by_offsets:
                raise DataError(
                    f"{path}: gold sentence {r['sentence_id']} ({r['start']}-{r['end']}) is not "
                    "a sentence of the segmenter's output; re-run privtag validate"
                )
            tagged.append(by_offsets[(r["start"], r["end"])])
        t0 = time.perf_counter()
        lone.extend(tagger.predict(texts))
        t1 = time.perf_counter()
        keyword.extend(rules.predict(texts))
        seconds["predict() lone"] += t1 - t0
        seconds["rules (lone)"] += time.perf_counter() - t1
        texts_all.extend(texts)
        gold.extend(r["labels"] for r in records)
        policies.extend([path.stem] * len(records))

    def hot(label_sets: list[list[str]]) -> np.ndarray:
        return multi_hot([[LABEL2ID[x] for x in labels] for labels in label_sets]).astype(int)

    y = hot(gold)
    decided = {
        "rules (lone)": hot(keyword),
        "predict() lone": hot(lone),
        "tag() in policy": hot(tagged),
    }
    name = f"{args.name}, sentences ({len(set(policies))} policies)"
    results = [
        evaluate_decisions(d, y, policies, system=s, data_name=name, seconds=seconds[s])
        for s, d in decided.items()
    ]
    table = Comparison(results)
    agree = agreement(decided["tag() in policy"], decided["predict() lone"])
    support = y.sum(0)
    gaps = []
    for j, label in enumerate(LABELS):
        if support[j] >= args.common:
            p_lone = results[1].scores["per_label"][label]
            p_tag = results[2].scores["per_label"][label]
            gaps.append(
                (
                    label,
                    int(support[j]),
                    p_lone["precision"],
                    p_lone["recall"],
                    p_tag["precision"],
                    p_tag["recall"],
                )
            )

    # each sentence given to tag() as a policy of its own, as a user may call it
    solo = [p.sentences for p in tagger.tag_many(texts_all)]
    one = [(s[0].labels, lab) for s, lab in zip(solo, lone, strict=True) if len(s) == 1]
    solo_same = sum(a == b for a, b in one) / max(len(one), 1)

    per_policy = ", ".join(f"{k}: {v}" for k, v in chosen.items())
    # a one-sentence unit given alone: the profile predict() decides it at
    alone = tagger.profile_for(alone=True)[0]
    lines = [
        f"Model: {args.model or 'shipped (model/)'}, thresholds {tagger.profile} (tag(): "
        f"{per_policy}; predict(): {alone}); {len(y)} sentences.",
        "",
        table.to_markdown(),
        "",
        f"predict() and tag() give the same label set on {agree['same_label_set']:.1%} of "
        f"sentences ({agree['same_decision']:.2%} of label decisions agree). Each sentence "
        f"given to tag() as a policy of its own: {len(one)} of {len(texts_all)} read as one "
        f"sentence, and their labels are predict()'s on {solo_same:.1%}.",
        "",
        f"Labels with at least {args.common} gold sentences: precision and recall of predict() "
        "on lone sentences, and of tag():",
        "",
        "| label | gold | predict() P | predict() R | R − P | tag() P | tag() R | R − P |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        *(
            f"| {lab} | {n} | {p:.3f} | {r:.3f} | {r - p:+.3f} | {tp:.3f} | {tr:.3f} | {tr - tp:+.3f} |"
            for lab, n, p, r, tp, tr in gaps
        ),
    ]
    text = "\n".join(lines)
    print(text)
    figures = {
        "model": args.model or "shipped",
        "thresholds": tagger.profile,
        "tag_profiles": chosen,
        "n_sentences": len(y),
        "results": {r.system: r.scores for r in results},
        "agreement": agree,
        "one_sentence_policies": {"n": len(one), "same_as_predict": solo_same},
        "common_label_gaps": [
            {
                "label": lab,
                "gold": n,
                "predict": {"precision": p, "recall": r},
                "tag": {"precision": tp, "recall": tr},
            }
            for lab, n, p, r, tp, tr in gaps
        ],
    }
    if args.markdown:
        write_text(args.markdown, text + "\n")
    if args.json:
        write_text(args.json, json.dumps(figures, indent=2) + "\n")
    return figures


if __name__ == "__main__":
    main()
