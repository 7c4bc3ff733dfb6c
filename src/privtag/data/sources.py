"""Data sources: a source string (a file, ``opp115:SPLIT``, ``doccano:PATH`` ...) to units.

Every source is read into records with the columns of
:data:`privtag.data.records.FEATURES` (see :func:`load_source`, :func:`load_units`).

Example:
    >>> dd = load_annotations(["data/annotations/zarget.jsonl"])  # doctest: +SKIP
    >>> sorted(dd), dd["train"].features["labels"].feature.names[5]  # doctest: +SKIP
    (['test', 'train', 'validation'], 'Data Security')
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from privtag.data import importers
from privtag.data.annotations import read_annotations
from privtag.data.opp115 import load_opp115
from privtag.data.records import FEATURES, as_dataset_dict, sentences_to_segments
from privtag.errors import DataError, read_from
from privtag.extras import missing

try:
    from datasets import Dataset, DatasetDict
except ImportError as e:  # an optional dependency: say which extra has it
    raise missing("train", "datasets") from e

__all__ = ["LEVELS", "is_opp115", "load_annotations", "load_source", "load_units"]


def load_annotations(
    paths: Iterable[str | Path] | str | Path,
    policies_dir: str | Path | None = None,
    split: str | None = None,
    seed: int = 13,
    fractions: tuple[float, ...] = (0.8, 0.1, 0.1),
) -> DatasetDict:
    """Load privtag annotation files (.jsonl/.csv) as a DatasetDict with :data:`FEATURES`.

    Args:
        paths: files or directories of them.
        policies_dir: see :func:`parse_annotations`.
        split: put every record in this one split (e.g. ``"test"``); by default
            policies are split into train/validation/test by :func:`policy_split`.
        seed, fractions: for :func:`policy_split`.

    Raises:
        AnnotationError: listing every problem in every file.
    """
    return as_dataset_dict(read_annotations(paths, policies_dir), split, seed, fractions)


# ---------------------------------------------------------------- sources


def is_opp115(spec: str) -> bool:
    """Whether a source spec names OPP-115: ``opp115:SPLIT``, or ``opp115`` for all of it.

    Example:
        >>> is_opp115("opp115:train"), is_opp115("opp115"), is_opp115("data/opp115.jsonl")
        (True, True, False)
    """
    return str(spec).partition(":")[0] == "opp115"


def is_own_annotations(spec: str) -> bool:
    """Whether a source spec names privtag annotation files (not OPP-115, not an export
    read by an importer), whose policy texts can be found and tagged whole.

    Example:
        >>> is_own_annotations("data/annotations"), is_own_annotations("doccano:x.jsonl")
        (True, False)
    """
    kind, sep, rest = str(spec).partition(":")
    return not is_opp115(spec) and not (sep and rest and kind in ("labelstudio", "doccano"))


def load_source(
    spec: str,
    *,
    policies_dir: str | Path | None = None,
    split: str | None = None,
    seed: int = 13,
    fractions: tuple[float, ...] = (0.8, 0.1, 0.1),
    opp115_root: str | Path | None = None,
    level: str = "segment",
    vote: str = "majority",
) -> DatasetDict:
    """Resolve a data source string to a DatasetDict for training or evaluation.

    Sources: ``PATH.jsonl``/``PATH.csv`` or a directory of them (privtag format),
    ``labelstudio:PATH`` (Label Studio JSON export), ``doccano:PATH`` (doccano JSONL
    export), ``opp115:SPLIT`` (``SPLIT`` one of OPP-115's splits, or ``all``; the corpus
    is read from ``opp115_root``, else where :func:`privtag.data.opp115.default_root` finds it).

    Example:
        >>> load_source("doccano:export.jsonl", split="test")  # doctest: +SKIP
        DatasetDict({test: Dataset({features: [...], num_rows: 120})})
    """
    kind, _, rest = spec.partition(":")
    if is_opp115(spec):
        return _load_opp115(rest or "all", opp115_root, level, vote)
    if kind in ("labelstudio", "doccano") and rest:
        read = importers.read_labelstudio if kind == "labelstudio" else importers.read_doccano
        return as_dataset_dict(read(rest), split, seed, fractions)
    path = Path(spec)
    if not path.exists() and not path.suffix:
        raise DataError(
            f"data source {spec!r}: no such file or folder{read_from(spec)}; check the path"
        )
    if path.suffix.lower() in (".jsonl", ".csv") or path.is_dir():
        return load_annotations(path, policies_dir, split, seed, fractions)
    raise DataError(
        f"unknown data source {spec!r}; use a .jsonl or .csv file, a directory of "
        "them, labelstudio:PATH, doccano:PATH or opp115:SPLIT"
    )


def _load_opp115(split: str, root, level: str, vote: str) -> DatasetDict:
    # root=None lets load_opp115 find the corpus itself
    dd = load_opp115(root, level=level, vote=vote)
    if split == "all":
        return dd
    if split not in dd:
        raise DataError(f"OPP-115 has no split {split!r}; use one of {', '.join(dd)} or all")
    return DatasetDict({split: dd[split]})


# ---------------------------------------------------------------- units for training and evaluation

LEVELS = ("sentence", "segment")


def load_units(
    sources: Iterable[str],
    level: str = "sentence",
    opp115: str | Path | None = None,
    vote: str = "majority",
    policies: str | Path | None = None,
) -> Dataset:
    """All units of ``level`` from several sources, in one Dataset with :data:`FEATURES`.

    Args:
        sources: specs as for :func:`load_source` (``opp115:SPLIT``, annotation files or
            directories, ``labelstudio:PATH``, ``doccano:PATH``); every unit of a
            non-OPP-115 source is used.
        level: ``"sentence"`` or ``"segment"``. OPP-115 has both; other sources hold
            sentences, whose segments are their paragraphs (:func:`sentences_to_segments`).
        opp115: the OPP-115 directory (default: :func:`privtag.data.opp115.default_root`).
        vote: ``"majority"`` or ``"union"`` for OPP-115.
        policies: the folder of the annotated policies' texts (default: ``policies/``
            beside the annotations' folder, else the repository's ``data/policies``).

    Raises:
        DataError: a source is unknown or missing, or one annotation file is given twice.

    Example:
        >>> ds = load_units(["opp115:validation", "data/annotations"], "segment")  # doctest: +SKIP
    """
    from datasets import concatenate_datasets

    if level not in LEVELS:
        raise DataError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    sources = list(sources)
    _check_no_file_twice(sources)
    # privtag's own files are read together, as `privtag validate` reads them: a policy
    # split over two files is whole, and one annotated twice is a duplicate, not two policies
    own = [spec for spec in sources if is_own_annotations(spec) and _annotation_path(spec)]
    parts = []
    for spec in sources:
        if is_opp115(spec):
            parts.extend(load_source(spec, opp115_root=opp115, level=level, vote=vote).values())
            continue
        if spec in own:
            if spec != own[0]:
                continue
            ds = load_annotations(own, policies, split="all")["all"]
        else:
            ds = load_source(spec, split="all", policies_dir=policies)["all"]
        parts.append(ds if level == "sentence" else sentences_to_segments(ds))
    if not parts:
        raise DataError("no data sources given; name at least one")
    # casting a few thousand units takes milliseconds: its progress bar on every command
    # that reads annotations (train, tune, evaluate) was noise
    import datasets

    was_off = datasets.are_progress_bars_disabled()
    datasets.disable_progress_bars()
    try:
        return concatenate_datasets([p.cast(FEATURES) for p in parts])
    finally:
        if not was_off:
            datasets.enable_progress_bars()


def _annotation_path(spec: str) -> bool:
    """Whether ``spec`` names privtag annotation files that exist (anything else goes
    through :func:`load_source`, which names what is wrong with it)."""
    path = Path(spec)
    return path.is_dir() or (path.is_file() and path.suffix.lower() in (".jsonl", ".csv"))


def _check_no_file_twice(sources: list[str]) -> None:
    """Refuse an annotation file named by two sources: its units would count twice."""
    from privtag.data.annotation_format import annotation_files
    from privtag.outputs import spec_paths

    first: dict[Path, str] = {}
    for spec in sources:
        if is_opp115(spec):
            continue
        for f in annotation_files(spec_paths([spec])):  # a folder: its files
            key = f.resolve()
            if key in first:
                twice = "given twice" if first[key] == spec else f"in {first[key]!r} and {spec!r}"
                raise DataError(
                    f"{f}: {twice}, so its units would count twice; give each file once"
                )
            first[key] = spec
