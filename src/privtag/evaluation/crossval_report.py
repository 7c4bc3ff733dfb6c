"""Turn a cross-validation run's out-of-fold scores into decisions, figures and a table.

For every decision rule of :mod:`privtag.training.decision`, the thresholds used on fold *k* are
fitted on the out-of-fold scores of the other folds, then applied to fold *k*'s scores:
no unit is decided by thresholds fitted on its own label. Segments are decided as
:meth:`privtag.inference.tagger.Tagger.predict` decides them: a segment of several sentences by
paragraph thresholds (fitted on multi-sentence segments), a one-sentence segment by the
sentence thresholds.

TF-IDF + logistic regression goes through the same folds (fitted on each fold's
training units, per level) and the same rules; the keyword rules need no fitting.
Figures come with 95% bootstrap intervals over policies, and the model-minus-TF-IDF
difference with a paired bootstrap interval.

Example:
    >>> report = crossval_report(recipe, "runs/cv")                   # doctest: +SKIP
    >>> print(report.to_markdown())                                  # doctest: +SKIP
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from privtag.data.records import multi_hot
from privtag.errors import DataError
from privtag.evaluation.bootstrap import paired_difference
from privtag.evaluation.crossval import (
    FOLDS_FILE,
    LEVELS,
    SCORES_FILE,
    UNITS_FILE,
    fold_of,
    load_pool,
)
from privtag.evaluation.harness import Evaluation, evaluate_decisions
from privtag.evaluation.tables import diff_text, f1_cell, format_table
from privtag.training.decision import RULES, fit_thresholds, with_fallback
from privtag.training.recipe import Recipe

TFIDF_FILE = "tfidf.npz"
AVG = ("micro", "macro")


@dataclass
class OutOfFold:
    """Everything scored in a run, in pool order, with each unit's fold and gold labels."""

    folds: list[list[str]]
    y: dict[str, np.ndarray]  # level -> (n, 12)
    policy: dict[str, list[str]]
    fold: dict[str, np.ndarray]  # level -> (n,)
    scores: dict[str, np.ndarray] = field(default_factory=dict)  # "sentence", "segment:max", ...
    done: list[int] = field(default_factory=list)  # the folds whose scores exist

    def subset(self) -> tuple[OutOfFold, dict[str, np.ndarray]]:
        """Only the units of the folds done, and each level's row indices into the full pool."""
        keep = {lvl: np.flatnonzero(np.isin(self.fold[lvl], self.done)) for lvl in LEVELS}
        level_of = {
            n: "segment" if n.startswith(("segment", "tfidf:segment")) else "sentence"
            for n in self.scores
        }
        sub = OutOfFold(
            folds=self.folds,
            y={lvl: self.y[lvl][keep[lvl]] for lvl in LEVELS},
            policy={lvl: [self.policy[lvl][i] for i in keep[lvl]] for lvl in LEVELS},
            fold={lvl: self.fold[lvl][keep[lvl]] for lvl in LEVELS},
            scores={n: v[keep[level_of[n]]] for n, v in self.scores.items()},
            done=self.done,
        )
        return sub, keep


def _stalled(fold_dir: Path) -> bool:
    """Whether a fold's training was recorded as not learning (runs before it: no)."""
    try:
        meta = json.loads((fold_dir / "fold.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return bool((meta.get("loss") or {}).get("stalled"))


def load_out_of_fold(
    recipe: Recipe, output: str | Path, partial: bool = False, folds: list[int] | None = None
) -> tuple[OutOfFold, dict, dict]:
    """Read every fold's scores and align them with the gold units.

    With ``partial``, folds not run yet are allowed (at least two must be done): their
    units keep zero scores, and :meth:`OutOfFold.subset` leaves them out. ``folds``
    keeps only those folds (each must be done): two runs compared on the folds both
    have finished are compared on the same policies.

    Returns:
        ``(oof, pool, extras)``: the scores, and the units of :func:`privtag.evaluation.crossval.load_pool`.

    Raises:
        DataError: a fold has not been run, or its units do not match the recipe's data.
    """
    output = Path(output)
    if not (output / FOLDS_FILE).exists():
        raise DataError(f"{output}: no {FOLDS_FILE}; run `privtag crossval RECIPE -o {output}`")
    folds_kept = folds
    folds = json.loads((output / FOLDS_FILE).read_text(encoding="utf-8"))["folds"]
    pool, extras = load_pool(recipe)
    keys = {
        lvl: list(zip(pool[lvl]["policy"], pool[lvl]["unit_id"], strict=True)) for lvl in LEVELS
    }
    where = {lvl: {key: i for i, key in enumerate(keys[lvl])} for lvl in LEVELS}
    oof = OutOfFold(
        folds=folds,
        y={lvl: multi_hot(pool[lvl]["labels"]) for lvl in LEVELS},
        policy={lvl: list(pool[lvl]["policy"]) for lvl in LEVELS},
        fold={lvl: fold_of(pool[lvl]["policy"], folds) for lvl in LEVELS},
    )
    oof.done = [k for k in range(len(folds)) if (output / f"fold{k}" / SCORES_FILE).exists()]
    if folds_kept is not None:
        absent = sorted(set(folds_kept) - set(oof.done))
        if absent or len(set(folds_kept)) < 2:
            raise DataError(
                f"{output}: a report needs at least two folds that are done; fold(s) "
                f"{', '.join(map(str, absent)) or '(fewer than two given)'} are not"
            )
        oof.done = sorted(set(folds_kept))
    missing = sorted(set(range(len(folds))) - set(oof.done))
    if missing and folds_kept is None and not (partial and len(oof.done) >= 2):
        need = "at least two folds" if partial else f"fold {missing[0]}"
        raise DataError(
            f"{output}: no scores for {need} yet; run `privtag crossval ... --fold "
            f"{missing[0]}`{'' if partial else ', or report the folds done with --partial'}"
        )
    stalled = [k for k in oof.done if _stalled(output / f"fold{k}")]
    if stalled:
        warnings.warn(
            f"{output}: fold(s) {', '.join(map(str, stalled))} did not learn (training loss "
            "flat; fold.json 'loss'): their scores are about the label priors and pull every "
            "figure down; train them again with a lower train.learning_rate",
            stacklevel=2,
        )
    for k in oof.done:
        d = output / f"fold{k}"
        units = json.loads((d / UNITS_FILE).read_text(encoding="utf-8"))
        arrays = np.load(d / SCORES_FILE)
        for name in arrays.files:
            lvl = "segment" if name.startswith("segment") else "sentence"
            idx = [where[lvl].get(key) for key in zip(*units[lvl].values(), strict=True)]
            if None in idx:
                raise DataError(f"{d}: its units are not the recipe's data; rerun this fold")
            target = oof.scores.setdefault(
                name, np.zeros((len(keys[lvl]), *arrays[name].shape[1:]), arrays[name].dtype)
            )
            target[idx] = arrays[name]
    return oof, pool, extras


def tfidf_out_of_fold(
    recipe: Recipe, output: str | Path, oof: OutOfFold, pool: dict, extras: dict
) -> None:
    """Add TF-IDF + LR out-of-fold scores (``tfidf:sentence``, ``tfidf:segment``), cached."""
    from datasets import concatenate_datasets

    from privtag.evaluation.baselines import TfidfTagger

    cache = Path(output) / TFIDF_FILE
    if cache.exists():
        arrays = np.load(cache)
        oof.scores.update({name: arrays[name] for name in arrays.files})
        return
    out = {}
    for lvl in LEVELS:
        scores = np.zeros(oof.y[lvl].shape)
        for k in range(len(oof.folds)):
            train = pool[lvl].select(np.flatnonzero(oof.fold[lvl] != k))
            if extras[lvl].num_rows:
                train = concatenate_datasets([train, extras[lvl]])
            held = np.flatnonzero(oof.fold[lvl] == k)
            tagger = TfidfTagger(seed=recipe.train.seed).fit(train)
            scores[held] = tagger.predict_proba(list(pool[lvl].select(held)["text"]))
        out[f"tfidf:{lvl}"] = scores
    np.savez_compressed(cache, **out)
    oof.scores.update(out)


def fold_thresholds(
    rule: str, scores: np.ndarray, y: np.ndarray, fold: np.ndarray, fit_on: np.ndarray | None = None
) -> dict[int, np.ndarray]:
    """``{k: thresholds (12,)}``: for each fold, ``rule`` fitted on the other folds' units.

    ``fit_on`` (bool, n) limits the units fitted on (e.g. multi-sentence segments).
    """
    fit_on = np.ones(len(y), dtype=bool) if fit_on is None else fit_on
    return {
        int(k): fit_thresholds(rule, scores[(fold != k) & fit_on], y[(fold != k) & fit_on])
        for k in np.unique(fold)
    }


def per_unit(th: dict[int, np.ndarray], fold: np.ndarray) -> np.ndarray:
    """(n, 12): each unit's thresholds, those of its fold."""
    return np.stack([th[int(k)] for k in fold]) if len(fold) else np.zeros((0, 12))


@dataclass
class Row:
    """One system and decision rule, scored at the segment and sentence level."""

    system: str
    rule: str
    segment: Evaluation
    sentence: Evaluation
    vs_tfidf: dict = field(default_factory=dict)  # "segment micro" -> [diff, lo, hi]


@dataclass
class CrossvalReport:
    """Every row, plus how ``predict()`` on lone sentences compares with ``tag()``."""

    n_folds: int
    n_policies: int
    rows: list[Row]
    lone: dict
    folds_done: list[int] = field(default_factory=list)

    def to_markdown(self) -> str:
        """The RESULTS.md table: micro and macro F1 with 95% policy-bootstrap intervals."""

        head = ["system", "decision", "segment micro", "segment macro"]
        head += ["sentence micro", "sentence macro", "segment Δ vs TF-IDF (micro / macro)"]
        rows = []
        for r in self.rows:
            d = r.vs_tfidf
            diff = " / ".join(diff_text(d[k]) for k in ("segment micro", "segment macro") if k in d)
            cells = [f1_cell(getattr(r, lvl), a) for lvl in ("segment", "sentence") for a in AVG]
            rows.append([r.system, r.rule, *cells, diff or "-"])
        return format_table(head, rows, markdown=True)

    def to_dict(self) -> dict:
        """Plain JSON types: every figure and interval, per row."""
        out = []
        for r in self.rows:
            item = {"system": r.system, "rule": r.rule, "vs_tfidf": r.vs_tfidf}
            for lvl in LEVELS:
                e = getattr(r, lvl)
                item[lvl] = {
                    "scores": {a: e.scores[a] for a in ("micro", "macro")},
                    "per_label": e.scores["per_label"],
                    "intervals": e.intervals,
                }
            out.append(item)
        return {
            "n_folds": self.n_folds,
            "n_policies": self.n_policies,
            "rows": out,
            "lone": self.lone,
        }


def _evaluate(decisions, oof: OutOfFold, level: str, system: str, n_bootstrap: int) -> Evaluation:
    return evaluate_decisions(
        decisions,
        oof.y[level],
        oof.policy[level],
        system=system,
        data_name=f"OPP-115, {len(oof.folds)}-fold cross-validation by policy ({level})",
        n_bootstrap=n_bootstrap,
    )


def model_decisions(
    oof: OutOfFold,
    aggregate: str,
    rule: str,
    fallback: bool,
    scale: float | np.ndarray = 1.0,
) -> dict:
    """Decisions of the fine-tuned model at each level (and for lone sentences), cross-fitted.

    ``scale`` (a number, or 12 factors, one per label) multiplies the fitted thresholds,
    as a threshold profile does (:mod:`privtag.training.profiles`): what a profile fitted
    elsewhere costs here.

    Returns:
        ``{"sentence": (n, 12), "segment": (m, 12), "lone": (n, 12)}`` 0/1 arrays.
    """
    f_s, f_g = oof.fold["sentence"], oof.fold["segment"]
    th_s = fold_thresholds(rule, oof.scores["sentence"], oof.y["sentence"], f_s)
    seg = oof.scores[f"segment:{aggregate}"]
    para = oof.scores["segment_is_para"].astype(bool)
    th_p = fold_thresholds(rule, seg, oof.y["segment"], f_g, fit_on=para)
    if np.any(np.asarray(scale) != 1.0):
        th_s, th_p = ({k: np.clip(v * scale, 0, 1) for k, v in t.items()} for t in (th_s, th_p))
    th_seg = np.where(para[:, None], per_unit(th_p, f_g), per_unit(th_s, f_g))
    d_seg = seg >= th_seg
    if fallback:
        d_seg = with_fallback(d_seg, seg, th_seg)
    lone = oof.scores[f"lone:{aggregate}"]
    lone_para = oof.scores["lone_is_para"].astype(bool)
    th_lone = np.where(lone_para[:, None], per_unit(th_p, f_s), per_unit(th_s, f_s))
    return {
        "sentence": oof.scores["sentence"] >= per_unit(th_s, f_s),
        "segment": d_seg,
        "lone": lone >= th_lone,
    }


def _tfidf_decisions(oof: OutOfFold, rule: str, fallback: bool) -> dict:
    out = {}
    for lvl in LEVELS:
        sc = oof.scores[f"tfidf:{lvl}"]
        th = per_unit(fold_thresholds(rule, sc, oof.y[lvl], oof.fold[lvl]), oof.fold[lvl])
        d = sc >= th
        out[lvl] = with_fallback(d, sc, th) if fallback and lvl == "segment" else d
    return out


def agreement(a: np.ndarray, b: np.ndarray) -> dict:
    """How often two 0/1 decision arrays (n, labels) give the same label set, and the same decision."""
    return {
        "same_label_set": float((a == b).all(axis=1).mean()),
        "same_decision": float((a == b).mean()),
    }


def crossval_report(
    recipe: Recipe,
    output: str | Path,
    n_bootstrap: int = 1000,
    fallbacks: bool = True,
    partial: bool = False,
    folds: list[int] | None = None,
) -> CrossvalReport:
    """Score a finished run: the model under every decision rule, TF-IDF and keyword rules.

    Args:
        recipe: the recipe the run used (its data defines the gold units).
        output: the run folder of :func:`privtag.evaluation.crossval.run_crossval`.
        n_bootstrap: policy resamples for the intervals.
        fallbacks: also score each rule with the guaranteed paragraph label.
        partial: report the folds done so far (at least two); the report says which.
        folds: report only these folds (each done), e.g. to compare two runs on the
            folds both have finished.
    """
    from privtag.evaluation.baselines import RuleTagger

    oof, pool, extras = load_out_of_fold(recipe, output, partial, folds)
    # TF-IDF is fitted for every fold (cheap), then both systems are scored on the same units
    tfidf_out_of_fold(recipe, output, oof, pool, extras)
    oof, keep = oof.subset()
    pool = {lvl: pool[lvl].select(keep[lvl]) for lvl in LEVELS}
    variants = [(r, False) for r in RULES] + ([(r, True) for r in RULES] if fallbacks else [])

    def name(rule: str, fb: bool) -> str:
        return rule + (" + top label" if fb else "")

    tfidf_rows = []
    for rule, fb in variants:
        d = _tfidf_decisions(oof, rule, fb)
        ev = {lvl: _evaluate(d[lvl], oof, lvl, "tfidf", n_bootstrap) for lvl in LEVELS}
        tfidf_rows.append(Row("TF-IDF + LR", name(rule, fb), ev["segment"], ev["sentence"]))
    strongest = max(tfidf_rows, key=lambda r: r.segment.scores["macro"]["f1"])
    rows, lone = [], {}
    aggregates = [a for a in recipe.train.aggregates if f"segment:{a}" in oof.scores]
    for aggregate in aggregates:
        for rule, fb in variants:
            d = model_decisions(oof, aggregate, rule, fb)
            system = f"privtag ({aggregate})"
            ev = {lvl: _evaluate(d[lvl], oof, lvl, system, n_bootstrap) for lvl in LEVELS}
            row = Row(system, name(rule, fb), ev["segment"], ev["sentence"])
            for a in ("micro", "macro"):
                row.vs_tfidf[f"segment {a}"] = paired_difference(row.segment, strongest.segment, a)
            rows.append(row)
            if not fb:
                lone_ev = _evaluate(d["lone"], oof, "sentence", system + " predict()", n_bootstrap)
                lone[f"{aggregate}/{rule}"] = {
                    "tag": {a: row.sentence.scores[a] for a in ("micro", "macro")},
                    "predict": {a: lone_ev.scores[a] for a in ("micro", "macro")},
                    "predict_per_label": lone_ev.scores["per_label"],
                    "agreement": agreement(d["sentence"], d["lone"]),
                }
    keyword = RuleTagger()
    ev = {}
    for lvl in LEVELS:
        sc = keyword.predict_proba(list(pool[lvl]["text"]))
        ev[lvl] = _evaluate(sc >= keyword.thresholds, oof, lvl, "keyword rules", n_bootstrap)
    rows += [*tfidf_rows, Row("keyword rules", "fixed", ev["segment"], ev["sentence"])]
    return CrossvalReport(
        len(oof.folds), len(set(oof.policy["segment"])), rows, lone, folds_done=oof.done
    )


def shipped_thresholds(
    recipe: Recipe, output: str | Path, aggregate: str, rule: str
) -> dict[str, list[float]]:
    """Thresholds for a model trained on every pooled policy: ``rule`` fitted on all folds'
    out-of-fold scores (sentence units; multi-sentence segments for paragraphs)."""
    oof, _, _ = load_out_of_fold(recipe, output)
    return oof_thresholds(oof.subset()[0], aggregate, rule)


def oof_thresholds(oof: OutOfFold, aggregate: str, rule: str) -> dict[str, list[float]]:
    """:func:`shipped_thresholds` on out-of-fold scores already loaded (and subset)."""
    para = oof.scores["segment_is_para"].astype(bool)
    seg = oof.scores[f"segment:{aggregate}"]
    return {
        "sentence": fit_thresholds(rule, oof.scores["sentence"], oof.y["sentence"]).tolist(),
        "paragraph": fit_thresholds(rule, seg[para], oof.y["segment"][para]).tolist(),
    }
