"""Reading and checking the JSON files of a model directory (settings, thresholds, metadata).

A damaged or hand-edited file must never load into a tagger that quietly scores wrong
(a NaN threshold never fires, a window longer than the encoder's positions crashes
mid-run): every field is checked at load time, and each problem is one
:class:`~privtag.errors.ModelLoadError` line naming the file, the field and the fix.

Example:
    >>> check_thresholds({"sentence": [0.5] * 12, "paragraph": [0.5] * 12}, "t.json")
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from privtag.errors import ModelLoadError
from privtag.inputs import CONTEXTS, MIN_LENGTH
from privtag.labels import LABELS, NUM_LABELS

AGGREGATES = ("max", "noisy_or", "direct", "max+direct")
#: The model shipped in the repository's ``model/`` (regenerated only by ``--export``).
SHIPPED_MODEL_DIR = Path(__file__).resolve().parents[2] / "model"
_FIX = "fix it, or save or download the model again"


def read_json_object(path: Path) -> dict:
    """The JSON object in ``path``.

    Raises:
        ModelLoadError: unreadable, not JSON, or not an object (e.g. a list).
    """
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise ModelLoadError(
            f"{path}: unreadable JSON ({e}); the model directory is "
            "damaged, save or download it again"
        ) from e
    if not isinstance(raw, dict):
        raise ModelLoadError(
            f"{path}: holds a JSON {type(raw).__name__} where an object is expected; {_FIX}"
        )
    return raw


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_settings(settings: dict, path: Path | str, max_positions: int | None = None) -> None:
    """Check a tagger's settings (``privtag.json``); ``max_positions`` bounds the windows.

    Raises:
        ModelLoadError: naming the first bad field and the values it accepts.
    """

    def bad(field: str, what: str) -> ModelLoadError:
        return ModelLoadError(f"{path}: {field} must be {what}, not {settings[field]!r}; {_FIX}")

    top = max_positions or 100_000
    for field in ("max_length", "paragraph_max_length"):
        if field in settings:
            v = settings[field]
            if not _is_int(v) or not MIN_LENGTH <= v <= top:
                raise bad(field, f"an integer from {MIN_LENGTH} to {top} (the encoder's positions)")
    if "context_tokens" in settings and not (
        _is_int(settings["context_tokens"]) and settings["context_tokens"] >= 0
    ):
        raise bad("context_tokens", "an integer of at least 0")
    if "batch_size" in settings and not (
        _is_int(settings["batch_size"]) and settings["batch_size"] >= 1
    ):
        raise bad("batch_size", "an integer of at least 1")
    for field, allowed in (("context", CONTEXTS), ("aggregate", AGGREGATES)):
        if field in settings and not (
            isinstance(settings[field], str) and settings[field] in allowed
        ):
            raise bad(field, "one of " + ", ".join(allowed))
    if settings.get("labels", list(LABELS)) != list(LABELS):
        raise ModelLoadError(
            f"{path}: labels differ from privtag's 12 labels; retrain the model with this version"
        )


def check_thresholds(thresholds: dict, path: Path | str) -> None:
    """Check ``thresholds.json``: 12 finite numbers in [0, 1] per level and aggregate.

    Raises:
        ModelLoadError: naming the level and, for a bad value, the label.
    """
    tuned = thresholds.get("paragraph_by_aggregate", {})
    if not isinstance(tuned, dict):
        raise ModelLoadError(
            f"{path}: 'paragraph_by_aggregate' must be an object of aggregate: 12 thresholds; "
            f"{_FIX}"
        )
    lists = {key: thresholds.get(key) for key in ("sentence", "paragraph")}
    lists.update({f"paragraph_by_aggregate.{k}": v for k, v in tuned.items()})
    for key, values in lists.items():
        if not isinstance(values, list) or len(values) != NUM_LABELS:
            raise ModelLoadError(
                f"{path}: '{key}' needs {NUM_LABELS} thresholds, one per label; {_FIX}"
            )
        for label, v in zip(LABELS, values, strict=True):
            ok = isinstance(v, int | float) and not isinstance(v, bool)
            if not (ok and math.isfinite(v) and 0 <= v <= 1):
                raise ModelLoadError(
                    f"{path}: '{key}' threshold of {label!r} is {v!r}; a threshold must be a "
                    f"number from 0 to 1; {_FIX}"
                )
