"""The Tagger: a fine-tuned model that labels sentences, paragraphs and whole policies.

Example:
    >>> from privtag import Tagger
    >>> tagger = Tagger.from_pretrained()          # doctest: +SKIP
    >>> tagger.predict("We may share your data with advertisers.")     # doctest: +SKIP
    ['Third Party Sharing/Collection']
    >>> policy = tagger.tag_file("data/policies/zarget.md")            # doctest: +SKIP
    >>> policy.summary()                                               # doctest: +SKIP

Scoring (units to scores, scores to labels) lives in :mod:`privtag.inference.scoring`,
reading and writing a model directory in :mod:`privtag.inference.persistence`; this module
keeps the public API.
"""

from __future__ import annotations

import io
import os
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np
import torch

from privtag.errors import (
    ArgumentError,
    ModelLoadError,
    PolicyTypeError,
    check_int,
    outside_stacklevel,
)
from privtag.inference import scoring
from privtag.inference.backends import BACKENDS, Scorer, TorchScorer, resolve_device
from privtag.inference.encoding import Unit, check_units
from privtag.inference.model import inference_dtype
from privtag.inference.paragraphs import document_paragraphs
from privtag.inference.persistence import (
    DEFAULT_MODEL_DIR,
    SETTINGS_FILE,
    THRESHOLDS_FILE,
    TRAINING_FILE,
    default_model_dir,
    model_directory,
    read_model_directory,
    write_model_directory,
)
from privtag.inference.results import TaggedPolicy
from privtag.inference.settings import (
    AGGREGATES,
    AUTO_PROFILE,
    SHIPPED_MODEL_DIR,
    InferenceSettings,
    check_thresholds,
    profile_scales,
    resolve_profile,
)
from privtag.inference.stream import tag_stream, warn_read
from privtag.labels import NUM_LABELS
from privtag.segmentation.document import Document, segment, segment_file
from privtag.segmentation.units import clean_document, sentence_units

#: See :class:`~privtag.inference.settings.InferenceSettings`.
DEFAULT_SETTINGS = InferenceSettings().to_dict()
# the directory's file names and default_model_dir live in privtag.inference.persistence;
# they stay importable from here, where callers found them first
__all__ = [
    "AGGREGATES",
    "DEFAULT_MODEL_DIR",
    "SETTINGS_FILE",
    "THRESHOLDS_FILE",
    "TRAINING_FILE",
    "Tagger",
    "default_model_dir",
]


def check_many(sources, call: str) -> None:
    """Refuse, at the call, what is not several policies: one policy, something not
    iterable, or an iterable whose items are not policies (a dict's keys, a DataFrame's
    column names, a file's lines, a set's arbitrary order).

    Raises:
        PolicyTypeError: naming ``call`` and what to pass instead.
    """
    name = type(sources).__name__
    if isinstance(sources, str | bytes | bytearray | os.PathLike | Document) or not (
        isinstance(sources, Iterable)
    ):
        raise PolicyTypeError(
            f"{call} takes many policies (a list or a generator), not a {name}; tag one "
            "policy with tag(), or pass [policy]"
        )
    if isinstance(sources, Mapping) or hasattr(sources, "columns"):
        # iterating a dict or a DataFrame gives its keys or column names, not policies
        what = "df['text']" if hasattr(sources, "columns") else "policies.values()"
        raise PolicyTypeError(
            f"{call} takes policies, not a {name} (it would tag its keys); pass {what}"
        )
    if isinstance(sources, io.IOBase):
        raise PolicyTypeError(
            f"{call} takes policies, not an open file (it would tag each line); pass "
            "Path(file.name) or file.read()"
        )
    if isinstance(sources, set | frozenset):
        raise PolicyTypeError(
            f"{call} takes policies in an order, not a {name}; pass list(...) of them"
        )


def check_errors(errors: str) -> bool:
    """Whether ``errors`` asks to skip unreadable policies (``"skip"``) or not (``"raise"``).

    Raises:
        ArgumentError: any other value.
    """
    if errors not in ("raise", "skip"):
        raise ArgumentError(f'errors must be "raise" or "skip", not {errors!r}')
    return errors == "skip"


class Tagger:
    """Tag sentences and paragraphs with the 12 practice labels.

    Args:
        model: a :class:`privtag.inference.model.PrivtagClassifier`.
        tokenizer: its tokenizer.
        settings: context and window settings (see ``DEFAULT_SETTINGS``).
        thresholds: ``{"sentence": [12 floats], "paragraph": [12 floats]}``, and
            optionally ``"profiles"`` (see :meth:`use_thresholds`).
        metadata: training metadata (data, config, metrics, versions).
        profile: the threshold profile in use: ``"auto"`` (each policy's own, see
            :meth:`use_thresholds`), ``"default"`` (the tuned thresholds) or a profile name.
    """

    def __init__(
        self,
        model,
        tokenizer,
        settings=None,
        thresholds=None,
        metadata=None,
        name: str = "privtag",
        profile: str = AUTO_PROFILE,
    ):
        self.model = model
        self.tokenizer = tokenizer
        self.settings = {**DEFAULT_SETTINGS, **(settings or {})}
        self.thresholds = thresholds or {
            "sentence": [0.5] * NUM_LABELS,
            "paragraph": [0.5] * NUM_LABELS,
        }
        self.metadata = metadata or {}
        self.name = name
        self.profile = profile
        self._scorer: Scorer | None = None

    # ------------------------------------------------------------------ persistence

    @classmethod
    def from_pretrained(
        cls,
        name_or_path: str | Path | None = None,
        base: str | Path | None = None,
        aggregate: str | None = None,
        dtype: str | None = None,
        device: str | None = None,
        backend: str = "torch",
        thresholds: str | None = None,
    ) -> Tagger:
        """Load a saved tagger: ``name_or_path``, else ``$PRIVTAG_MODEL``, else the shipped model.

        Args:
            name_or_path: a model directory (``""`` is an error, not the default).
            base: the base encoder directory, for a compact model trained on another
                encoder than the packaged MiniLM (default: the one it records).
            aggregate: paragraph aggregation to use instead of the tuned one (see
                :meth:`use_aggregate`).
            dtype: ``auto`` (the default: bfloat16 on CPUs that have it natively, about
                three times faster, else float32), ``float32`` or ``bfloat16``; see
                :func:`privtag.inference.model.inference_dtype`.
            device: ``cpu`` (the default), ``cuda`` or ``auto``.
            backend: ``torch`` (the default), ``onnx`` (ONNX Runtime, float32) or
                ``onnx-int8`` (linear layers in int8; see
                :mod:`privtag.inference.onnx_backend`): the ONNX file in the model
                directory, else one exported now into a cache keyed by the weights.
            thresholds: a threshold profile saved with the model instead of its tuned
                thresholds (see :meth:`use_thresholds`), e.g. ``"modern"`` (default: the
                one it was saved with, else ``"auto"``).

        Raises:
            ModelLoadError: a missing directory or file, another label set, corrupt weights.
        """
        if backend not in BACKENDS:
            raise ModelLoadError(f"backend must be one of {', '.join(BACKENDS)}, not {backend!r}")
        if device is not None:  # a machine without it is named here, not at the first tag()
            resolve_device(device)
        path = model_directory(name_or_path)
        model, tokenizer, settings, table, metadata = read_model_directory(
            path, base, dtype, device, check_emulated=backend == "torch"
        )
        # the shipped model keeps one name, "model", in a checkout and inside a wheel
        name = "model" if path.resolve() == SHIPPED_MODEL_DIR.resolve() else path.name
        tagger = cls(model, tokenizer, settings, table, metadata, name=name)
        if backend != "torch":
            from privtag.inference.onnx_backend import OnnxScorer, resolve_onnx

            onnx = resolve_onnx(path, backend == "onnx-int8", model, base)
            tagger.scorer = OnnxScorer(onnx, settings.get("batch_size", 16))
        # the profile it was saved with: tagger.profile holds it from here on, not settings
        saved = tagger.settings.pop("profile", None)
        if thresholds is None and saved is not None:
            try:
                tagger.use_thresholds(saved)
            except ModelLoadError:  # a hand edit, or a profile removed from thresholds.json
                warnings.warn(
                    f"{path / SETTINGS_FILE}: the saved profile {saved!r} is not "
                    "among the model's threshold profiles; using 'auto' (choose one with "
                    '--thresholds, or thresholds= in Python, or remove the "profile" key)',
                    stacklevel=outside_stacklevel(),
                )
        if thresholds is not None:  # "" is refused there, not taken for the default
            tagger.use_thresholds(thresholds)
        return tagger.use_aggregate(aggregate) if aggregate else tagger

    #: The name of privtag 0.1 (kept).
    load = from_pretrained

    def use_aggregate(self, aggregate: str) -> Tagger:
        """Switch the paragraph aggregation, with the thresholds tuned for it in training.

        With a window per sentence, ``"max"`` scores each sentence once and is about 1.6
        times as fast as ``"max+direct"``, which also scores every paragraph as a whole;
        one pass per paragraph (the shipped model) gives every aggregate from one pass.

        Raises:
            ModelLoadError: if the model has no thresholds tuned for ``aggregate``.
        """
        tuned = self.thresholds.get("paragraph_by_aggregate", {})
        if aggregate != self.settings["aggregate"]:
            if aggregate not in tuned:
                raise ModelLoadError(
                    f"model {self.name!r} has no paragraph thresholds tuned for aggregate "
                    f"{aggregate!r} (it has: {', '.join(tuned) or 'none'}); "
                    "train it with that aggregate in train.aggregates, or use one it has"
                )
            self.settings["aggregate"] = aggregate
            self.thresholds["paragraph"] = tuned[aggregate]
        return self

    def use_thresholds(self, profile: str) -> Tagger:
        """Decide with a threshold profile saved with the model, ``"default"`` or ``"auto"``.

        A profile scales the tuned thresholds (sentence and paragraph) by factors fitted
        on annotated sentences of another kind of policy
        (``privtag tune MODEL --profile NAME --data ANNOTATIONS``). The shipped model has
        ``"modern"``, fitted on current policies for F1: more recall there, less precision
        on OPP-115-like ones; and ``"modern-balanced"``, fitted on the same policies so that
        each label is decided about as often as annotated, for counts
        (``benchmarks/RESULTS.md``, "Threshold profiles").

        ``"auto"`` (the default) picks per policy: :meth:`tag` gives a policy that uses
        terms of today's privacy laws (GDPR, CCPA, ...; :mod:`privtag.inference.era`) the
        model's ``"auto"`` profile (``modern-balanced`` for the shipped model), and any
        other policy the tuned thresholds; a "policy" of one sentence is a sentence alone,
        decided as :meth:`predict` decides it. :meth:`predict` gives a one-sentence unit the
        model's profile for sentences alone (``modern-balanced`` for the shipped model: a
        sentence alone does not say when its policy was written, and policies in use
        today are current ones), and a longer unit the tuned thresholds.

        Raises:
            ModelLoadError: the model has no such profile (the message lists those it has).

        Example:
            >>> Tagger.from_pretrained().use_thresholds("modern")  # doctest: +SKIP
        """
        profile_scales(self.thresholds, profile, self.name)  # an unknown name fails here
        self.profile = profile
        return self

    def profile_for(self, text: str | None = None, alone: bool = False) -> tuple[str, list[str]]:
        """The profile that decides the policy ``text`` (None: a unit of several
        sentences given alone; ``alone``: a one-sentence unit given alone), and the
        terms that chose it under ``"auto"`` (see :meth:`use_thresholds`).

        Example:
            >>> Tagger.from_pretrained().profile_for("Your rights under the GDPR.")  # doctest: +SKIP
            ('modern-balanced', ['GDPR'])
        """
        return resolve_profile(self.thresholds, self.profile, text, alone)

    def decision_thresholds(self, profile: str | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The ``(sentence, paragraph)`` thresholds (12 each) that decide labels: the tuned
        ones, times the factors (each label its own) of ``profile`` (default: the profile
        in use; ``"auto"`` here is the tuned thresholds, with no policy text to read)."""
        scale = profile_scales(self.thresholds, profile or self.profile, self.name)
        return tuple(
            np.clip(np.asarray(self.thresholds[lvl], dtype=float) * scale, 0.0, 1.0)
            for lvl in ("sentence", "paragraph")
        )

    def save_pretrained(self, path: str | Path, compact: bool = False) -> Path:
        """Save model, tokenizer, settings, thresholds and metadata (safetensors and JSON).

        The aggregate and threshold profile in use are saved with the settings, so
        :meth:`from_pretrained` gives a tagger that labels as this one does.

        Raises:
            ModelLoadError: the thresholds (or the profile in use) would not load again,
                checked before anything is written.
        """
        # refuse to write what from_pretrained would refuse to read
        check_thresholds(self.thresholds, f"model {self.name!r} (thresholds)")
        profile_scales(self.thresholds, self.profile, self.name)
        return write_model_directory(
            path,
            self.model,
            self.tokenizer,
            self.settings,
            self.thresholds,
            self.metadata,
            self.profile,
            compact,
        )

    #: The name of privtag 0.1 (kept).
    save = save_pretrained

    @property
    def dtype(self) -> torch.dtype:
        """The dtype the model computes in (``settings["dtype"]``, see :meth:`load`).

        The weights stay float32: bfloat16 is applied per operation (``torch.autocast``),
        so saving a tagger never loses precision.
        """
        return inference_dtype(self.settings.get("dtype", "auto"))

    # ------------------------------------------------------------------ scoring

    @property
    def scorer(self) -> Scorer:
        """The backend that computes scores: a :class:`TorchScorer` unless one was set.

        The torch scorer is built on each use, so changed settings (batch size, dtype,
        device) always apply.
        """
        if self._scorer is not None:
            return self._scorer
        s = self.settings
        return TorchScorer(
            self.model,
            s["batch_size"],
            self.dtype,
            s.get("device", "cpu"),
            pack_tokens=s.get("pack_tokens", 0),
            pack_capacity=s.get("paragraph_max_length", 256),
        )

    @scorer.setter
    def scorer(self, scorer: Scorer) -> None:
        self._scorer = scorer

    @property
    def one_pass(self) -> bool:
        """Whether the model reads one pass per paragraph (``encoding = "paragraph"``)."""
        return self.settings.get("encoding", "sentence") == "paragraph"

    # The scoring functions, bound as methods under the names the stream, training and
    # cross-validation call (see privtag.inference.scoring for why they live there).
    _score = scoring.score_units
    _score_paragraphs = scoring.score_paragraphs
    _paragraph_scores = scoring.paragraph_scores
    _split = staticmethod(scoring.split_unit)
    _scores_by_aggregate = scoring.scores_by_aggregate
    decisions = scoring.decisions
    unit_decisions = scoring.unit_decisions
    _labels = scoring.label_names
    _tagged = scoring.tagged_policy

    def predict_proba(self, units: Unit | Sequence[Unit]) -> np.ndarray:
        """Scores in [0, 1]: shape (12,) for one unit, (n, 12) for a list.

        A unit is a sentence or a paragraph (str, or a mapping with ``text`` and
        optionally ``section``, a list of headings or one heading, and ``previous``).
        Every unit is text: nothing is read as a file or checked for binary data, and
        a unit with no visible character (``""``, white space, ``"\\u200b"``) scores 0.

        Raises:
            UnitError: a unit is not a str or a mapping with a str ``text``
                (the message names its index).
        """
        batch, single = check_units(units)
        aggregate = self.settings["aggregate"]
        scores = self._scores_by_aggregate(batch, [aggregate])[0][aggregate]
        return scores[0] if single else scores

    def predict_proba_by_aggregate(
        self, units: Sequence[Unit], aggregates: Sequence[str]
    ) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """Scores of ``units`` under several paragraph aggregations, sharing the work.

        Returns:
            ``({aggregate: (n, 12) scores}, is_paragraph)``; ``is_paragraph[i]`` says
            whether unit ``i`` has several sentences (and so uses paragraph thresholds).
        """
        out, sizes = self._scores_by_aggregate(check_units(units)[0], aggregates)
        return out, sizes > 1

    def predict(
        self, units: Unit | Sequence[Unit], thresholds: str | None = None
    ) -> list[str] | list[list[str]]:
        """Label names per unit: a list for one unit, a list of lists for a list.

        Args:
            units: a unit or a list of units (see :meth:`predict_proba`).
            thresholds: a threshold profile for this call only (default: the tagger's; see
                :meth:`use_thresholds`). Under ``"auto"``, a one-sentence unit is decided at
                the model's profile for sentences alone (the shipped model:
                ``modern-balanced``, as its policy's era is unknown), a longer unit at the
                tuned thresholds. To decide sentences of a policy as :meth:`tag` decided
                the policy, pass its ``metadata["profile"]``.

        Raises:
            ModelLoadError: ``thresholds`` names no profile of the model.

        Example:
            >>> tagger.predict(["We may share your data with advertisers."])  # doctest: +SKIP
            [['Third Party Sharing/Collection']]
            >>> policy = tagger.tag(text)                                       # doctest: +SKIP
            >>> tagger.predict(sentence, thresholds=policy.metadata["profile"])  # doctest: +SKIP
        """
        batch, single = check_units(units)
        labels, _ = self._predict(batch, thresholds)
        return labels[0] if single else labels

    def predict_with_scores(
        self, units: Sequence[Unit], thresholds: str | None = None
    ) -> tuple[list[list[str]], np.ndarray]:
        """:meth:`predict` and :meth:`predict_proba` of a list of units from one pass:
        ``(labels per unit, scores (n, 12))``."""
        return self._predict(check_units(units)[0], thresholds)

    def _predict(self, batch: list, thresholds: str | None) -> tuple[list[list[str]], np.ndarray]:
        # units already checked by the public method that called
        if thresholds is not None:  # an unknown name fails before any work
            profile_scales(self.thresholds, thresholds, self.name)
        aggregate = self.settings["aggregate"]
        by_aggregate, sizes = self._scores_by_aggregate(batch, [aggregate])
        scores = by_aggregate[aggregate]
        rows = self.unit_decisions(scores, sizes, thresholds)
        return scoring.names_of(rows), scores

    # ------------------------------------------------------------------ whole policies

    def tag_file(self, path: str | Path, format: str | None = None) -> TaggedPolicy:
        """Read, segment and tag the policy file at ``path`` (a ``str`` here is a file name).

        Example:
            >>> tagger.tag_file("data/policies/zarget.md").summary()  # doctest: +SKIP
        """
        return self.tag(segment_file(path, format))

    def tag(
        self,
        source: str | bytes | Path | Document,
        format: str | None = None,
        thresholds: str | None = None,
    ) -> TaggedPolicy:
        """Segment and tag a policy: text (a ``str`` is always text), bytes, a file as a
        :class:`~pathlib.Path` (see :meth:`tag_file`), or a :class:`Document`.

        Args:
            source: the policy.
            format: ``text``, ``markdown`` or ``html`` (default: detected).
            thresholds: a threshold profile for this policy only (default: the tagger's,
                see :meth:`use_thresholds`).

        Returns:
            :class:`privtag.inference.results.TaggedPolicy` with per-sentence and per-paragraph
            labels and scores.

        Raises:
            ModelLoadError: ``thresholds`` names no profile of the model.
        """
        if thresholds is not None:  # an unknown name fails before any work
            profile_scales(self.thresholds, thresholds, self.name)
        doc = self._document(source, format)
        warn_read(doc)
        if self.one_pass:
            scores = self._score_paragraphs(document_paragraphs(doc))
        else:
            scores = (self._score(sentence_units(doc.sentences), int(self.settings["max_length"])),)
        return self._tagged(doc, *scores, profile=thresholds)

    def tag_many(
        self,
        sources: Iterable[str | bytes | Path | Document],
        format: str | None = None,
        sentences_per_batch: int = 2048,
        cache_size: int = 100_000,
        errors: str = "raise",
    ) -> Iterator[TaggedPolicy | None]:
        """Tag many policies, streaming: the same results as :meth:`tag` on each, faster.

        Policies are read in groups of about ``sentences_per_batch`` sentences; the
        group's sentences are tokenized together and scored in batches of similar
        length across policies, and a sentence seen before with the same context
        (boilerplate repeats across policies) is scored once.

        Args:
            sources: policies, as :meth:`tag` takes them (a generator is read lazily).
            format: the format of every source (default: detect each).
            sentences_per_batch: sentences gathered before scoring.
            cache_size: the most sentence scores remembered (least recently used go).
            errors: what a source that cannot be read does: ``"raise"`` stops there,
                ``"skip"`` yields ``None`` in its place with a
                :class:`~privtag.errors.SkippedPolicyWarning` naming it and why, and goes on.

        Yields:
            One :class:`TaggedPolicy` per source, in order (``None`` for a skipped one).

        Raises:
            PolicyTypeError: ``sources`` is one policy (a str, bytes, a Path, a Document:
                use :meth:`tag`) or not iterable; raised at the call.
            ArgumentError: ``sentences_per_batch`` below 1, ``cache_size`` below 0, or
                ``errors`` not ``"raise"`` or ``"skip"``.
            PolicyReadError: with ``errors="raise"``, a source cannot be read, named by
                its position; the policies before it are yielded first.

        Example:
            >>> for policy in tagger.tag_many(Path("policies").glob("*.html")):  # doctest: +SKIP
            ...     print(policy.summary())
        """
        check_many(sources, "tag_many")
        per_batch = check_int(sentences_per_batch, "sentences_per_batch", 1)
        cache = check_int(cache_size, "cache_size", 0)
        return tag_stream(self, sources, format, per_batch, cache, check_errors(errors))

    @staticmethod
    def _document(source, format: str | None) -> Document:
        return clean_document(source if isinstance(source, Document) else segment(source, format))

    def __repr__(self) -> str:
        return f"Tagger(name={self.name!r}, settings={self.settings})"
