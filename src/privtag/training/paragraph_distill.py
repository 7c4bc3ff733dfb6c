"""Distillation for one pass per paragraph: a teacher's score for every score row.

A teacher (one or several one-pass taggers, and optionally TF-IDF + LR fitted on the same
training units: ``train.teacher = [DIR, "tfidf"]``; their scores averaged) reads paragraphs as
:meth:`privtag.Tagger.tag` does, and its scores become the teacher half of each row's
target: 24 numbers, gold then teacher, mixed by
:func:`privtag.training.distill.distill_loss`.

- Annotated paragraphs (:func:`with_paragraph_teacher`): each sentence's row learns the
  teacher's score of that sentence in its paragraph as well as its gold labels; the
  paragraph row learns the teacher's direct score of the paragraph. A sentence that
  context dropout shows alone learns the in-paragraph score too, which pulls
  ``predict()`` on a lone sentence towards ``tag()``.
- Corpus paragraphs (:func:`corpus_paragraphs`, :func:`encode_corpus_dataset`): no gold,
  the teacher's scores only: the unlabelled policies are where distillation can teach
  what 95 annotated policies cannot.

The teacher is read straight from its model directories (``train.teacher``): with a
one-pass model, scoring tens of thousands of paragraphs takes minutes, not a separate
resumable stage. Under cross-validation each fold's teacher is that fold's model
(``{fold}`` in the path), which never saw the fold's held-out policies.

Example:
    >>> teacher = load_paragraph_teacher(["runs/cv-teacher/fold0/model"])   # doctest: +SKIP
    >>> units = corpus_paragraphs("../shared/corpus/policies.jsonl.gz", 100)  # doctest: +SKIP
    >>> sentences, paragraphs = teacher_scores(teacher, units)               # doctest: +SKIP
"""

from __future__ import annotations

import functools
import itertools
import logging
import time
from collections.abc import Callable, Collection, Sequence
from pathlib import Path

import numpy as np

from privtag.errors import DataError
from privtag.inference.paragraphs import document_paragraphs, encode_paragraphs
from privtag.labels import NUM_LABELS
from privtag.training.teacher_cache import TeacherCache, units_digest

log = logging.getLogger("privtag.training.paragraph_distill")

__all__ = [
    "corpus_paragraphs",
    "encode_corpus_dataset",
    "load_paragraph_teacher",
    "teach",
    "teacher_scores",
    "with_paragraph_teacher",
]


#: A teacher member that is not a directory: TF-IDF + logistic regression fitted on the
#: student's own training units, so under cross-validation it is fitted per fold.
TFIDF_MEMBER = "tfidf"


class TfidfMember:
    """TF-IDF + LR as a member of a paragraph teacher: sentence rows are scored by a
    model fitted on sentence units, paragraph rows (the sentences joined) by one fitted
    on segment units, as the cross-validation report scores TF-IDF at each level.

    Args:
        sentence, segment: fitted :class:`privtag.evaluation.baselines.TfidfTagger`.
    """

    def __init__(self, sentence, segment):
        self.sentence = sentence
        self.segment = segment

    @classmethod
    def fit(cls, units: dict, seed: int = 0) -> TfidfMember:
        """Fit both levels on ``{"sentence": Dataset, "segment": Dataset}``."""
        from privtag.evaluation.baselines import TfidfTagger

        return cls(*(TfidfTagger(seed=seed).fit(units[lvl]) for lvl in ("sentence", "segment")))

    def score_paragraphs(self, paragraphs: Sequence[dict]) -> tuple[np.ndarray, np.ndarray]:
        """``(sentence scores, paragraph scores)``, as :func:`teacher_scores` takes them."""
        texts = [t for p in paragraphs for t in p["sentences"]]
        sent = self.sentence.predict_proba(texts) if texts else np.zeros((0, NUM_LABELS))
        para = self.segment.predict_proba([" ".join(p["sentences"]) for p in paragraphs])
        return np.asarray(sent, dtype=np.float32), np.asarray(para, dtype=np.float32)


def load_paragraph_teacher(specs: Sequence[str], units: dict | None = None, seed: int = 0) -> list:
    """Open the teacher's members: one-pass model directories, and ``"tfidf"``.

    Args:
        specs: ``train.teacher``.
        units: the student's training units, which a ``"tfidf"`` member is fitted on.
        seed: the TF-IDF member's seed.

    Raises:
        DataError: no member, a member that is not a one-pass (paragraph) model, or
            ``"tfidf"`` without training units.
    """
    from privtag.inference.tagger import Tagger

    if not specs:
        raise DataError("a teacher needs at least one model directory; set train.teacher")
    members = []
    for spec in specs:
        if spec == TFIDF_MEMBER:
            if units is None:
                raise DataError("the teacher member 'tfidf' is fitted on training units; pass them")
            members.append(TfidfMember.fit(units, seed))
            continue
        tagger = Tagger.load(spec, dtype="float32")
        if not tagger.one_pass:
            raise DataError(
                f"{spec}: the teacher of a one-pass student must read one pass per paragraph "
                "(model.encoding = 'paragraph'); train it so, or distil with "
                "model.encoding = 'sentence'"
            )
        members.append(tagger)
    return members


def teacher_scores(
    members: Sequence | Callable[[], Sequence],
    paragraphs: Sequence[dict],
    cache: TeacherCache | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``(sentence scores (n_sentences, 12), paragraph scores (n_paragraphs, 12))``.

    The mean of the members' probabilities; a paragraph's score is its direct one (the
    row that pools all its tokens), as the student's paragraph row computes it. With
    ``cache``, scores saved for the same members and paragraphs are read instead, and
    new ones are saved. ``members`` may be a function that loads them, called only when
    scores must be computed (a resumed run then loads no teacher).
    """
    from privtag.inference.scoring import score_paragraphs

    if cache is not None:
        key = cache.digest(paragraphs)
        saved = cache.load(key)
        if saved is not None:
            return saved
        return cache.save(key, *teacher_scores(members, paragraphs))
    if callable(members):
        members = members()
    sent = para = None
    for m in members:
        if isinstance(m, TfidfMember):
            s, p = m.score_paragraphs(paragraphs)
        else:
            s, p = score_paragraphs(m, paragraphs)
        sent = s if sent is None else sent + s
        para = p if para is None else para + p
    n = len(members)
    return (sent / n).astype(np.float32), (para / n).astype(np.float32)


def with_paragraph_teacher(
    members: Sequence | Callable[[], Sequence], sentences, cache: TeacherCache | None = None
):
    """``sentences`` with columns ``teacher`` (the sentence's score in its paragraph) and
    ``teacher_paragraph`` (its paragraph's score), read by
    :func:`privtag.training.paragraph_data.encode_paragraph_dataset`."""
    from privtag.training.paragraph_data import paragraph_groups, paragraph_units

    groups = paragraph_groups(sentences)
    sent, para = teacher_scores(members, paragraph_units(sentences, groups), cache)
    rows = [i for _, r in groups for i in r]
    by_row = np.zeros((sentences.num_rows, NUM_LABELS), dtype=np.float32)
    by_row[rows] = sent
    para_of = np.zeros_like(by_row)
    for g, (_, r) in enumerate(groups):
        para_of[r] = para[g]
    return sentences.add_column("teacher", by_row.tolist()).add_column(
        "teacher_paragraph", para_of.tolist()
    )


def corpus_paragraphs(
    path: str | Path,
    n: int,
    sample: float = 1.0,
    seed: int = 0,
    min_words: int = 4,
    exclude: Collection[str] = (),
    per_policy: int = 0,
) -> list[dict]:
    """Up to ``n`` paragraphs of the unlabelled corpus, as ``Tagger.tag`` reads them.

    Policies are segmented like any input (:func:`privtag.segment`, Markdown); a
    paragraph of under ``min_words`` words (menus, link lists) is left out, and so is every
    policy whose id is in ``exclude``. ``per_policy`` (``data.corpus_per_policy``) keeps at
    most that many paragraphs of one policy, evenly spaced through it, so the budget is
    spread over many policies instead of filled by the first few (0: no cap).

    Returns:
        Units for :func:`~privtag.inference.paragraphs.encode_paragraphs`: ``sentences``,
        ``section``, and ``policy`` (the corpus id, for the record).
    """
    from privtag.training.dapt import segmented_corpus, spread_per_policy

    if n <= 0:
        return []
    units = (
        {**unit, "policy": key}
        for key, doc in segmented_corpus(path, sample, seed, exclude)
        for unit in document_paragraphs(doc)
        if sum(len(s.split()) for s in unit["sentences"]) >= min_words
    )
    return list(itertools.islice(spread_per_policy(units, per_policy), n))


def encode_corpus_dataset(
    tokenizer, paragraphs: Sequence[dict], sent: np.ndarray, para: np.ndarray, recipe
):
    """Windows of unlabelled paragraphs whose every row targets the teacher's score.

    Args:
        tokenizer: the student's tokenizer.
        paragraphs: units from :func:`corpus_paragraphs`.
        sent, para: :func:`teacher_scores` of ``paragraphs``.
        recipe: the student's ``model`` window settings and ``data.levels`` (a level not
            trained on gets no target).

    Returns:
        The columns of :func:`~privtag.training.paragraph_data.encode_paragraph_dataset`,
        with ``labels`` of 24 per row: NaN gold, then the teacher.
    """
    from privtag.training.paragraph_data import row_targets, window_dataset

    m = recipe.model
    enc = encode_paragraphs(
        tokenizer, paragraphs, m.context, m.paragraph_max_length, m.context_tokens
    )
    teacher = row_targets(enc, para, sent, recipe.data.levels)
    gold = np.full_like(teacher, np.nan)
    return window_dataset(enc, np.concatenate([gold, teacher], axis=1))


def teacher_specs(specs: Sequence[str], fold: int | None) -> list[str]:
    """``train.teacher`` with ``{fold}`` filled in under cross-validation.

    Raises:
        DataError: a ``{fold}`` path outside cross-validation.
    """
    if fold is None:
        if any("{fold}" in s for s in specs):
            raise DataError(
                f"train.teacher {list(specs)} has a {{fold}} path, which only cross-validation "
                "fills in; name one model directory to train a single model"
            )
        return list(specs)
    return [s.replace("{fold}", str(fold)) for s in specs]


def teach(tokenizer, units: dict, recipe, fold: int | None = None):
    """The teacher's scores for a one-pass student's training: ``(units, corpus)``.

    Args:
        tokenizer: the student's tokenizer.
        units: ``{"sentence": Dataset, "segment": Dataset}`` of annotated units.
        recipe: ``train.teacher`` (one-pass model directories and ``"tfidf"``, averaged),
            ``data.corpus``, ``data.corpus_units``, ``data.corpus_sample``, ``train.seed``.
        fold: under cross-validation, the fold whose teacher ``{fold}`` names.

    Returns:
        ``units`` with the teacher's columns on the sentences (encode them with
        :func:`privtag.training.train.encode_training_set`), and the windows of
        ``data.corpus_units`` corpus paragraphs (None without any).

    Raises:
        DataError: ``train.distill_alpha`` of 1, which would ignore the teacher.
    """
    d, t = recipe.data, recipe.train
    if t.distill_alpha >= 1.0:
        raise DataError(
            "train.teacher is set but train.distill_alpha = 1 trains on gold only; set it "
            "below 1 (0.5 mixes gold and teacher equally), or leave train.teacher empty"
        )
    started = time.time()
    specs = teacher_specs(t.teacher, fold)
    gold = units

    @functools.cache
    def members() -> list:  # loaded on the first cache miss, once
        return load_paragraph_teacher(specs, gold, t.seed)

    # with the run's checkpoints (and removed with them when it ends): a fold that resumes
    # does not score everything again
    where = Path(t.output_dir) / "checkpoints"
    # a "tfidf" member is fitted on the gold units: changed labels must miss the cache
    fit = units_digest(gold, t.seed) if TFIDF_MEMBER in specs else ""
    cache = {name: TeacherCache(where, name, specs, fit) for name in ("units", "corpus")}
    units = {
        **units,
        "sentence": with_paragraph_teacher(members, units["sentence"], cache["units"]),
    }
    paragraphs = corpus_paragraphs(
        d.corpus,
        d.corpus_units,
        d.corpus_sample,
        t.seed,
        exclude=d.corpus_exclude,
        per_policy=d.corpus_per_policy,
    )
    corpus = None
    if paragraphs:
        sent, para = teacher_scores(members, paragraphs, cache["corpus"])
        corpus = encode_corpus_dataset(tokenizer, paragraphs, sent, para, recipe)
    log.info(
        "teacher scores: %d annotated sentences, %d corpus paragraphs (%d sentences) in %.0f s",
        units["sentence"].num_rows,
        len(paragraphs),
        sum(len(p["sentences"]) for p in paragraphs),
        time.time() - started,
    )
    return units, corpus
