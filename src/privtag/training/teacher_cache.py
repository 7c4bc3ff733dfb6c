"""A teacher's scores kept beside the run they were computed for, so a resumed run reuses them.

Scoring the training paragraphs and the corpus paragraphs with a large teacher (mpnet-base,
a fold model plus TF-IDF) takes a quarter of an hour of a 2-core CPU, and a fold that
stops after its first epoch used to score everything again when it resumed. The scores
are saved as ``.npz`` (arrays only: no pickle) with the run's checkpoints under a
digest of what decides them: the teacher's members (their paths, and the size and time of
each weights file, so a retrained teacher is not mistaken for the old one) and the
paragraphs scored. Anything else gives another digest, and the scores are computed again.

Example:
    >>> cache = TeacherCache(Path("runs/cv/fold0"), "units", ["runs/t/fold0/model", "tfidf"])  # doctest: +SKIP
    >>> key = cache.digest(paragraphs)  # doctest: +SKIP
    >>> cache.load(key) or cache.save(key, *teacher_scores(members, paragraphs))  # doctest: +SKIP
"""

from __future__ import annotations

import hashlib
import json
import logging
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger("privtag.training.teacher_cache")

#: The files whose size and time identify a teacher member's weights.
_WEIGHTS = ("model.safetensors", "compact.safetensors", "thresholds.json")


def member_identity(spec: str) -> list:
    """A teacher member's path with the size and modification time of its weights."""
    path = Path(spec)
    files = [path / name for name in _WEIGHTS if (path / name).is_file()]
    return [spec, [(f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in files]]


def units_digest(units: dict, seed: int) -> str:
    """The digest of the units a fitted teacher member learns from (each level's texts
    and labels, in order) and of its seed.

    Example:
        >>> from datasets import Dataset
        >>> ds = Dataset.from_dict({"text": ["We sell nothing."], "labels": [[1]]})
        >>> units_digest({"sentence": ds}, 0) == units_digest({"sentence": ds}, 1)
        False
    """
    h = hashlib.sha256(json.dumps(seed).encode())
    for level in sorted(units):
        h.update(level.encode())
        for text, labels in zip(units[level]["text"], units[level]["labels"], strict=True):
            h.update(json.dumps([text, labels], ensure_ascii=False).encode())
    return h.hexdigest()


@dataclass
class TeacherCache:
    """The saved scores of one teacher on one set of paragraphs.

    Args:
        directory: where the run keeps its checkpoints (created when saving).
        name: which paragraphs (``"units"``, ``"corpus"``): one file each.
        specs: the teacher's members (``train.teacher``, ``{fold}`` filled in).
        fitted_on: for a teacher with a member that is fitted when the run starts (a
            ``"tfidf"`` member), :func:`units_digest` of the units and seed it learns from:
            the member's name alone would not change when the training labels do.
    """

    directory: Path
    name: str
    specs: Sequence[str]
    fitted_on: str = ""

    @property
    def path(self) -> Path:
        return Path(self.directory) / f"teacher-{self.name}.npz"

    def digest(self, paragraphs: Sequence[dict]) -> str:
        """The digest of the members and of ``paragraphs`` (their texts and context).

        Computed once per lookup and passed to :meth:`load` and :meth:`save`: for the
        corpus it reads tens of thousands of paragraphs.
        """
        members = [member_identity(s) for s in self.specs]
        # without a fitted member the key is as it was before fitted_on: saved scores stay valid
        key = [members, self.fitted_on] if self.fitted_on else members
        h = hashlib.sha256(json.dumps(key).encode())
        for p in paragraphs:
            h.update(json.dumps(p, sort_keys=True, ensure_ascii=False, default=str).encode())
        return h.hexdigest()

    def load(self, digest: str) -> tuple[np.ndarray, np.ndarray] | None:
        """``(sentence scores, paragraph scores)`` saved under ``digest``, else None."""
        if not isinstance(digest, str):  # paragraphs passed as before: a silent miss
            raise TypeError(f"load() takes the digest of the paragraphs, not {type(digest)}")
        try:
            with np.load(self.path, allow_pickle=False) as z:
                if str(z["digest"]) != digest:
                    return None
                scores = z["sentence"], z["paragraph"]
        except (OSError, KeyError, ValueError, EOFError, zipfile.BadZipFile):
            return None  # none saved yet, or a file cut short: score again
        log.info("teacher scores of %s read from %s", self.name, self.path)
        return scores

    def save(
        self, digest: str, sentence: np.ndarray, paragraph: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """Save scores under ``digest`` (written whole or not at all); returns them."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp.npz")
        np.savez(tmp, digest=digest, sentence=sentence, paragraph=paragraph)
        tmp.replace(self.path)
        return sentence, paragraph
