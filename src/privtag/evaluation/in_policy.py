"""Annotated units scored in their policies, as ``privtag tag`` scores them.

:func:`privtag.evaluation.harness.evaluate_system` scores each unit on its own, with the
context its record carries (:meth:`Tagger.predict <privtag.inference.tagger.Tagger.predict>`).
A user of ``privtag tag`` gets more: the whole policy is segmented and every sentence is
read with its paragraph and heading, and under ``--thresholds auto`` the policy picks its
threshold profile. On the modern check set the two differ by 17 points of micro-F1
(``benchmarks/RESULTS.md``), so ``privtag evaluate`` reports what ``tag`` gives whenever
the policy texts are at hand: :func:`decide_in_policy` tags each policy once and takes
each annotated unit's labels from the result, matched by offsets.

Example:
    >>> files = policy_files(["data/annotations/modern"])           # doctest: +SKIP
    >>> decided, seconds, profiles = decide_in_policy(tagger, units, files, "sentence")  # doctest: +SKIP
"""

from __future__ import annotations

import time
from collections import defaultdict
from pathlib import Path

import numpy as np

from privtag.errors import DataError
from privtag.labels import LABEL2ID, NUM_LABELS

__all__ = ["decide_in_policy"]


def decide_in_policy(
    tagger, dataset, files: dict[str, Path], level: str
) -> tuple[np.ndarray, float, dict[str, str]]:
    """The 0/1 decisions ``tagger.tag`` makes for each unit of ``dataset``, in its policy.

    Args:
        tagger: a :class:`~privtag.inference.tagger.Tagger`.
        dataset: units with ``policy``, ``start``, ``end`` (``privtag.data.records.FEATURES``).
        files: ``{policy: text file}`` (:func:`privtag.data.annotations.policy_files`).
        level: ``"sentence"`` (units are sentences) or ``"segment"`` (paragraphs).

    Returns:
        ``(decisions, seconds, profiles)``: decisions of shape (n_units, 12), the seconds
        spent tagging, and the threshold profile each policy was decided with.

    Raises:
        DataError: a unit's policy has no file, or a unit is not a sentence (paragraph) of
            the segmenter's output for its policy.
    """
    by_policy: dict[str, list[int]] = defaultdict(list)
    for i, name in enumerate(dataset["policy"]):
        by_policy[name].append(i)
    starts, ends, ids = dataset["start"], dataset["end"], dataset["unit_id"]
    decided = np.zeros((len(dataset), NUM_LABELS), dtype=int)
    seconds, profiles = 0.0, {}
    for name, rows in by_policy.items():
        if name not in files:
            raise DataError(f"policy {name!r}: no policy text to tag it in; give --policies")
        t0 = time.perf_counter()
        policy = tagger.tag_file(files[name])
        seconds += time.perf_counter() - t0
        profiles[name] = policy.metadata.get("profile", "")
        found = policy.sentences if level == "sentence" else policy.paragraphs
        by_offsets = {(u.start, u.end): u.labels for u in found}
        for i in rows:
            labels = by_offsets.get((starts[i], ends[i]))
            if labels is None:
                what = "sentence" if level == "sentence" else "paragraph"
                raise DataError(
                    f"{files[name]}: unit {ids[i]} ({starts[i]}-{ends[i]}) is not a {what} "
                    "of the segmenter's output for this policy; run `privtag validate` on "
                    "the annotations"
                )
            decided[i, [LABEL2ID[x] for x in labels]] = 1
    return decided, seconds, profiles
