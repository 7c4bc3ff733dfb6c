"""Distillation: a teacher's soft scores, and the loss that teaches them to the student.

Three pieces:

- **Teachers.** :func:`load_teacher` opens one or several trained taggers (model
  directories; ``tfidf:DIR`` for a :class:`privtag.baselines.TfidfTagger`) as an
  :class:`EnsembleTeacher`, whose scores are the average of its members'.
- **Pseudo-labels.** :func:`pseudo_label` (``privtag pseudo-label RECIPE``) scores the
  recipe's training units (``data.train``) and ``data.corpus_units`` corpus units per
  level, read with :func:`privtag.training.dapt.corpus_units`, and writes them to Parquet shards
  in ``data.distill``: ``level, policy, unit_id, text, section, previous, gold,
  scores`` (12 floats, in LABELS order). A run killed half way resumes
  (``train.resume``) from the last complete shard.
- **The loss.** With ``data.distill`` set, ``privtag train`` adds the teacher's scores to
  the targets (:func:`with_teacher`, :func:`teacher_targets`): a training window's
  ``labels`` are 24 numbers, gold then teacher, NaN where a unit has none (corpus units
  have no gold; units the teacher did not score have no teacher).
  :func:`distill_loss` mixes ``alpha * gold BCE + (1 - alpha) * distillation BCE``.

Example:
    >>> from privtag.training.recipe import Recipe
    >>> pseudo_label(Recipe.load("train/distill.toml"))  # doctest: +SKIP
    PosixPath('runs/pseudo')
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np
import torch
from torch.nn import functional as F

from privtag.errors import DataError
from privtag.labels import NUM_LABELS
from privtag.training.recipe import Recipe

log = logging.getLogger("privtag.distill")


# ---------------------------------------------------------------------------- loss


def distill_loss(
    logits: torch.Tensor,
    targets: torch.Tensor,
    alpha: float = 1.0,
    temperature: float = 1.0,
    pos_weight: torch.Tensor | None = None,
) -> torch.Tensor:
    """Mean over units of ``alpha * gold + (1 - alpha) * distill``.

    Args:
        logits: student logits, ``(batch, n)``.
        targets: ``(batch, 2n)``: gold 0/1 (or vote shares) then teacher probabilities;
            a row of NaN where the unit has no gold or no teacher score, which drops that
            term for that unit (so a corpus unit under ``alpha = 1`` adds nothing).
        alpha: weight of the gold term; 1 is gold only, 0 teacher only.
        temperature: both teacher and student logits are divided by it; the term is
            multiplied by its square so its gradients keep their size (Hinton et al.).
        pos_weight: per-label weights of positives in the gold term only.

    Each term is the mean BCE over the ``n`` labels of a unit.

    Example:
        >>> t = torch.tensor([[1.0, 0.0, 0.5, 0.75]])
        >>> round(float(distill_loss(torch.tensor([[0.0, 1.0986]]), t, 0.5)), 4)
        0.8337
    """
    n = logits.shape[-1]
    if targets.shape[-1] != 2 * n:
        raise DataError(f"distillation targets need {2 * n} columns, not {targets.shape[-1]}")
    logits, targets = logits.float(), targets.float()
    gold, teacher = targets[:, :n], targets[:, n:]
    has_gold = ~torch.isnan(gold).any(-1)
    has_teacher = ~torch.isnan(teacher).any(-1)
    g = F.binary_cross_entropy_with_logits(
        logits, gold.nan_to_num(0.0), pos_weight=pos_weight, reduction="none"
    ).mean(-1)
    p = teacher.nan_to_num(0.5).clamp(1e-6, 1 - 1e-6)
    soft = torch.sigmoid(torch.logit(p) / temperature)
    d = F.binary_cross_entropy_with_logits(logits / temperature, soft, reduction="none").mean(-1)
    d = d * temperature**2
    zero = torch.zeros_like(g)
    per_unit = alpha * torch.where(has_gold, g, zero) + (1 - alpha) * torch.where(
        has_teacher, d, zero
    )
    return per_unit.mean()


# ---------------------------------------------------------------------------- teachers


class EnsembleTeacher:
    """Average of several taggers' scores (each has ``predict_proba(units) -> (n, 12)``).

    Args:
        members: trained taggers (:class:`privtag.Tagger`, ``TfidfTagger``).
        weights: one per member (default equal); normalised to sum to 1.
    """

    def __init__(self, members: Sequence, weights: Sequence[float] | None = None):
        if not members:
            raise DataError("a teacher needs at least one model; set train.teacher")
        w = np.ones(len(members)) if weights is None else np.asarray(weights, dtype=float)
        if len(w) != len(members) or (w < 0).any() or w.sum() <= 0:
            raise DataError(f"teacher weights {list(w)} do not fit {len(members)} members")
        self.members = list(members)
        self.weights = w / w.sum()

    def predict_proba(self, units: Sequence) -> np.ndarray:
        """Weighted mean of the members' scores, ``(n, 12)`` float32."""
        units = list(units)
        if not units:
            return np.zeros((0, NUM_LABELS), dtype=np.float32)
        total = sum(
            w * np.asarray(m.predict_proba(units))
            for m, w in zip(self.members, self.weights, strict=True)
        )
        return np.asarray(total, dtype=np.float32)


def load_teacher(specs: Sequence[str]) -> EnsembleTeacher:
    """Open ``specs`` (model directories, or ``tfidf:DIR``) as one averaged teacher."""
    from privtag.evaluation.baselines import TfidfTagger
    from privtag.inference.tagger import Tagger

    members = []
    for spec in specs:
        if spec.startswith("tfidf:"):
            members.append(TfidfTagger.load(spec.removeprefix("tfidf:")))
        else:
            members.append(Tagger.load(spec))
    return EnsembleTeacher(members)


# ---------------------------------------------------------------------------- pseudo-labels


def _chunks(items: Iterable[dict], size: int):
    it = iter(items)
    while chunk := list(itertools.islice(it, size)):
        yield chunk


def _gold_units(recipe: Recipe, level: str):
    from privtag.data import load_units

    ds = load_units(
        recipe.data.train, level, recipe.data.opp115, recipe.data.vote, recipe.data.policies
    )
    for r in ds:
        yield {k: r[k] for k in ("policy", "unit_id", "text", "section", "previous")}


def pseudo_label(recipe: Recipe, teacher=None) -> Path:
    """Score the recipe's training units and corpus units with the teacher; see the module.

    Args:
        recipe: ``train.teacher`` (unless ``teacher`` is given), ``data.train``,
            ``data.levels``, ``data.corpus``, ``data.corpus_units``,
            ``data.corpus_sample``, ``data.distill`` (output directory),
            ``train.save_steps`` (units per shard), ``train.resume``.
        teacher: anything with ``predict_proba(units)``; default :func:`load_teacher`.

    Returns:
        The output directory.

    Raises:
        DataError: no ``data.distill``, or shards there already without ``train.resume``.
    """
    recipe.check()  # a recipe built in code is checked as a loaded one is
    import pyarrow as pa
    import pyarrow.parquet as pq

    from privtag.training.dapt import corpus_units, spread_per_policy

    d, t = recipe.data, recipe.train
    if recipe.model.encoding == "paragraph":
        raise DataError(
            "a one-pass student (model.encoding = 'paragraph') reads its teacher directly "
            "while it trains: no pseudo-label stage; run privtag train with train.teacher set"
        )
    if not d.distill:
        raise DataError("data.distill is not set: name the directory for the teacher's scores")
    out = Path(d.distill)
    if any(out.glob("*.parquet")) and not t.resume:
        raise DataError(f"{out}: holds scores already; set train.resume=true to continue")
    teacher = teacher or load_teacher(t.teacher)
    out.mkdir(parents=True, exist_ok=True)
    started, written = time.time(), 0
    for level in d.levels:
        jobs = {"gold": _gold_units(recipe, level)}
        if d.corpus_units > 0:
            units = corpus_units(d.corpus, level, d.corpus_sample, t.seed, exclude=d.corpus_exclude)
            units = spread_per_policy(units, d.corpus_per_policy)
            jobs["corpus"] = itertools.islice(units, d.corpus_units)
        for source, units in jobs.items():
            for k, chunk in enumerate(_chunks(units, max(t.save_steps, 1))):
                path = out / f"{level}-{source}-{k:05d}.parquet"
                if path.is_file():
                    continue  # written by an earlier, interrupted run
                scores = teacher.predict_proba(chunk)
                table = pa.Table.from_pylist(
                    [
                        {
                            **u,
                            "section": list(u["section"]),
                            "level": level,
                            "gold": source == "gold",
                            "scores": s.tolist(),
                        }
                        for u, s in zip(chunk, scores, strict=True)
                    ]
                )
                tmp = path.with_suffix(".tmp")
                pq.write_table(table, tmp)
                tmp.rename(path)
                written += len(chunk)
                log.info(
                    "%s: %d units (%.0f units/s)",
                    path.name,
                    len(chunk),
                    written / (time.time() - started),
                )
    meta = {
        "teacher": list(t.teacher),
        "levels": d.levels,
        "corpus": d.corpus,
        "corpus_units": d.corpus_units,
        "corpus_per_policy": d.corpus_per_policy,
        "seconds_last_run": round(time.time() - started, 1),
    }
    (out / "pseudo.json").write_text(json.dumps(meta, indent=2) + "\n")
    return out


def read_scores(directory: str | Path, level: str) -> list[dict]:
    """The rows :func:`pseudo_label` wrote for ``level``.

    Raises:
        DataError: no such directory or no shard for the level.
    """
    import pyarrow.parquet as pq

    files = sorted(Path(directory).glob(f"{level}-*.parquet"))
    if not files:
        raise DataError(
            f"{directory}: no teacher scores for level {level!r}; run privtag pseudo-label first"
        )
    return [r for f in files for r in pq.read_table(f).to_pylist()]


def with_teacher(units, directory: str | Path, level: str):
    """Training units plus the teacher's scores: columns ``teacher`` and ``gold`` added.

    Gold units get the score of the same (policy, unit_id) when the teacher scored it;
    corpus units are appended with no labels and ``gold`` False.
    """
    from datasets import concatenate_datasets

    from privtag.data import to_dataset

    rows = read_scores(directory, level)
    by_key = {(r["policy"], r["unit_id"]): r["scores"] for r in rows if r["gold"]}
    teacher = [
        by_key.get((p, u), []) for p, u in zip(units["policy"], units["unit_id"], strict=True)
    ]
    units = units.add_column("teacher", teacher).add_column("gold", [True] * units.num_rows)
    extra = [r for r in rows if not r["gold"]]
    if not extra:
        return units
    corpus = to_dataset([{**r, "source": "corpus"} for r in extra])
    corpus = corpus.add_column("teacher", [r["scores"] for r in extra])
    corpus = corpus.add_column("gold", [False] * len(extra)).cast(units.features)
    return concatenate_datasets([units, corpus])


def teacher_targets(y: np.ndarray, ds) -> np.ndarray:
    """``(n, 24)`` targets: gold ``y`` (NaN where ``gold`` is False) then teacher (or NaN)."""
    gold = np.where(np.asarray(ds["gold"], dtype=bool)[:, None], y, np.nan)
    teacher = np.full_like(gold, np.nan)
    for i, s in enumerate(ds["teacher"]):
        if s:
            teacher[i] = s
    return np.concatenate([gold, teacher], axis=1).astype(np.float32)


def pseudo_label_cmd(recipe_path: str, overrides: list[str] | None = None) -> None:
    """CLI: ``privtag pseudo-label RECIPE [--set k=v]``: write the teacher's scores."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    print(pseudo_label(Recipe.load(recipe_path, overrides)))
