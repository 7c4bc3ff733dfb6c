"""How a threshold profile fitted on some current policies does on another: leave one out.

A profile (``privtag tune MODEL --profile NAME --data ANNOTATIONS``) is fitted on a
handful of annotated policies, so whether its per-label factors help or fit noise is a
question for held-out policies. For each policy of ``--data``, this fits on all the
others, as ``tune --profile`` does, and decides the held-out one three ways:

- ``tuned``: the model's own thresholds (no profile);
- ``shared``: one factor on every threshold (:func:`privtag.training.profiles.fit_scale`);
- ``per label``: each label's F1-best factor, shrunk toward the shared one
  (:func:`privtag.training.profiles.fit_label_scales`, ``--objective f1``);
- ``balanced``: each label's factor that decides it as often as it was annotated
  (:func:`privtag.training.profiles.fit_label_rates`, ``--objective balanced``);
- ``auto``: what ``--thresholds auto`` does with a balanced profile: in policy, the
  balanced factors if the held-out policy's text names today's privacy laws
  (:func:`privtag.inference.era.gdpr_era_terms`), else the tuned thresholds; alone,
  the balanced factors if the model's ``"auto"`` also names a profile for sentences
  alone (``tune --auto --alone``; the shipped model since 2026-11-30), else the tuned
  thresholds.

Every sentence is scored once in its paragraph (as ``tag()`` does) and once alone (as
``predict()`` does), in float32 (:func:`privtag.training.profiles.profile_scores`). It prints micro/macro F1 (%) of the pooled held-out
decisions with 95% bootstrap intervals over policies, the paired differences, and
precision/recall of the common labels. Nothing here reads the modern check set unless
``--data`` names it.

Run (about a minute on 2 cores)::

    python benchmarks/profile_loo.py --data data/annotations/modern-dev data/annotations/modern-train
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import numpy as np

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]


def held_out_decisions(
    y, sets, policies, thresholds, current=None, alone=True
) -> dict[str, list[np.ndarray]]:
    """``{way: [decisions of each score set]}``, each policy decided by a fit on the others.

    ``sets`` are ``[in policy, alone]`` scores; ``current`` (policy -> whether ``auto``
    reads it as current) adds the ``auto`` way, which decides sentences alone by the
    balanced factors if ``alone`` (the model's ``auto`` rule has an ``"alone"`` profile),
    else by the tuned thresholds.
    """
    from privtag.training.profiles import fit_label_rates, fit_label_scales, fit_scale

    ways = {"tuned": [], "shared": [], "per label": [], "balanced": []}
    if current is not None:
        ways["auto"] = []
    out = {w: [np.zeros(s.shape, dtype=np.int8) for s in sets] for w in ways}
    for p in sorted(set(policies)):
        held, rest = policies == p, policies != p
        fitted = [s[rest] for s in sets]
        shared = fit_scale(y[rest], fitted, thresholds)["scale"]
        factors = {
            "tuned": np.ones_like(thresholds),
            "shared": np.full_like(thresholds, shared),
            "per label": fit_label_scales(y[rest], fitted, thresholds, shared),
            "balanced": fit_label_rates(y[rest], fitted, thresholds, shared),
        }
        for way, f in factors.items():
            t = np.clip(thresholds * f, 0.0, 1.0)
            for k, s in enumerate(sets):
                out[way][k][held] = s[held] >= t
        if current is not None:
            in_policy = factors["balanced"] if current[p] else factors["tuned"]
            for k, f in enumerate((in_policy, factors["balanced" if alone else "tuned"])):
                out["auto"][k][held] = sets[k][held] >= np.clip(thresholds * f, 0.0, 1.0)
    return out


def main(argv: list[str] | None = None) -> None:
    from datasets.utils.logging import disable_progress_bar

    from privtag.data.annotations import find_policy
    from privtag.data.sources import load_units
    from privtag.evaluation.bootstrap import paired_difference
    from privtag.evaluation.harness import evaluate_decisions
    from privtag.evaluation.tables import diff_text, f1_cell
    from privtag.inference.era import gdpr_era_terms
    from privtag.inference.tagger import Tagger
    from privtag.labels import LABELS
    from privtag.segmentation.document import segment_file
    from privtag.training.profiles import profile_scores

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--model", default=None, help="model directory (default: the shipped one)")
    ap.add_argument("--data", nargs="+", required=True, help="annotated current policies")
    ap.add_argument(
        "--policies",
        nargs="+",
        default=None,
        help="policy folders of --data (default: each annotations folder's data/policies twin)",
    )
    ap.add_argument("--common", type=int, default=20, help="gold sentences for a common label")
    ap.add_argument("--bootstrap", type=int, default=1000)
    args = ap.parse_args(argv)
    disable_progress_bar()

    tagger = Tagger.from_pretrained(args.model)
    units = load_units(args.data, "sentence")
    y, sets = profile_scores(tagger, units)  # as privtag tune --profile scores them
    policies = np.asarray(units["policy"], dtype=object).astype(str)
    thresholds = np.asarray(tagger.thresholds["sentence"], dtype=float)
    folders = args.policies or [d.replace("annotations", "policies") for d in args.data]
    current = {}
    for name in sorted(set(policies)):
        path = next((f for d in folders if (f := find_policy(name, Path(d)))), None)
        if path is None:
            raise SystemExit(f"no policy file {name}.* in {', '.join(folders)}; pass --policies")
        current[name] = bool(gdpr_era_terms(segment_file(path).text))
    alone = tagger.profile_for(alone=True)[0] != "default"  # the model's own auto rule
    decided = held_out_decisions(y, sets, policies, thresholds, current, alone)

    calls = ("tag() in policy", "predict() alone")
    n_pol = len(set(policies))
    print(
        f"{tagger.name}: leave one policy out over {n_pol} policies, {len(y)} sentences "
        f"({', '.join(args.data)}). F1 in %, 95% intervals over policies. Read as current "
        f"by auto: {', '.join(k for k, v in current.items() if v) or 'none'}.\n"
    )
    print("| thresholds | " + " | ".join(f"{c} micro | {c} macro" for c in calls) + " |")
    print("|---|" + "---:|" * 4)
    evals = {
        way: [
            evaluate_decisions(
                d, y, policies, system=way, data_name="held out", n_bootstrap=args.bootstrap
            )
            for d in ds
        ]
        for way, ds in decided.items()
    }
    for way, ev in evals.items():
        cells = [f1_cell(e, a) for e in ev for a in ("micro", "macro")]
        print(f"| {way} | " + " | ".join(cells) + " |")
    pairs = [("per label", "shared"), ("balanced", "per label"), ("shared", "tuned")]
    pairs += [("auto", "tuned"), ("balanced", "auto")]
    for a, b in pairs:
        cells = [
            diff_text(paired_difference(x, z, avg))
            for x, z in zip(evals[a], evals[b], strict=True)
            for avg in ("micro", "macro")
        ]
        print(f"| {a} - {b} (paired) | " + " | ".join(cells) + " |")

    common = [j for j in range(len(LABELS)) if y[:, j].sum() >= args.common]
    print(f"\nPrecision / recall (R - P) of labels with at least {args.common} gold sentences:\n")
    print("| label | gold | " + " | ".join(f"{w}, {c}" for w in decided for c in calls) + " |")
    print("|---|---:|" + "---:|" * (len(decided) * len(calls)))
    for j in common:
        cells = []
        for ds in decided.values():
            for d in ds:
                tp = int((d[:, j] & y[:, j]).sum())
                p, r = tp / max(int(d[:, j].sum()), 1), tp / int(y[:, j].sum())
                cells.append(f"{p:.2f} / {r:.2f} ({r - p:+.2f})")
        print(f"| {LABELS[j]} | {int(y[:, j].sum())} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
