"""How much do tuned per-label thresholds matter, and how optimistic is tuning on validation?

Usage:
    python benchmarks/bench_thresholds.py [--model DIR] [--opp115 DIR] [--dtype float32]

On OPP-115 validation (sentence and segment level), prints micro/macro-F1 of the model
with (a) a fixed 0.5 threshold, (b) the thresholds saved with the model (tuned on this
same validation data, so optimistic), and (c) thresholds tuned leave-one-policy-out:
for each validation policy, thresholds tuned on the other nine, applied to it. (c) is
the honest estimate of what tuned thresholds give on unseen policies.

Decisions follow ``Tagger.predict``: a segment of one sentence is decided with the
sentence thresholds, a segment of several with the paragraph thresholds (in (c), each
tuned on the other nine policies' sentences and multi-sentence segments).
"""

from __future__ import annotations

import argparse
import os

os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    import numpy as np

    from privtag.data import multi_hot, units_of
    from privtag.data.opp115 import load_opp115
    from privtag.inference.tagger import Tagger
    from privtag.training.thresholds import f1_scores, tune_thresholds

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=None)
    ap.add_argument("--opp115", default=None)
    ap.add_argument("--dtype", default=None, help="auto (default), float32 or bfloat16")
    args = ap.parse_args()
    tagger = Tagger.load(args.model, dtype=args.dtype)
    aggregate = tagger.settings["aggregate"]
    print(f"model: {args.model or 'model/'}, aggregate={aggregate}, dtype={tagger.dtype}")

    def level(name):
        ds = load_opp115(args.opp115, name, splits=["validation"])["validation"]
        return ds, multi_hot(ds["labels"]), np.asarray(ds["policy"])

    sent, y_s, pol_s = level("sentence")
    seg, y_p, pol_p = level("segment")
    s_scores = np.asarray(tagger.predict_proba(units_of(sent)))
    by_aggregate, is_para = tagger.predict_proba_by_aggregate(units_of(seg), [aggregate])
    p_scores = by_aggregate[aggregate]
    multi = is_para[:, None]

    loo_s = np.zeros_like(s_scores, dtype=bool)
    loo_p = np.zeros_like(p_scores, dtype=bool)
    for p in np.unique(pol_s):
        held_s, held_p = pol_s == p, pol_p == p
        th_s = tune_thresholds(s_scores[~held_s], y_s[~held_s])
        train_p = ~held_p & is_para
        th_p = tune_thresholds(p_scores[train_p], y_p[train_p])
        loo_s[held_s] = s_scores[held_s] >= th_s
        loo_p[held_p] = p_scores[held_p] >= np.where(multi[held_p], th_p, th_s)

    print("| level | threshold | micro-F1 | macro-F1 |\n|---|---|---|---|")
    rows = [
        ("sentence", "fixed 0.5", y_s, s_scores >= 0.5),
        (
            "sentence",
            "saved (tuned on validation)",
            y_s,
            tagger.decisions(s_scores, [False] * len(y_s)),
        ),
        ("sentence", "leave-one-policy-out", y_s, loo_s),
        ("segment", "fixed 0.5", y_p, p_scores >= 0.5),
        ("segment", "saved (tuned on validation)", y_p, tagger.decisions(p_scores, is_para)),
        ("segment", "leave-one-policy-out", y_p, loo_p),
    ]
    for lvl, name, y, pred in rows:
        f = f1_scores(y, pred)
        print(f"| {lvl} | {name} | {f['micro']:.3f} | {f['macro']:.3f} |")


if __name__ == "__main__":
    main()
