"""Inference settings, and reading and checking the JSON files of a model directory.

:class:`InferenceSettings` is the one typed record of how a model is applied (context,
windows, aggregation, batch size, dtype, device), saved as ``privtag.json``; this module
also finds the shipped model (:func:`shipped_model_dir`).

A damaged or hand-edited file must never load into a tagger that quietly scores wrong
(a NaN threshold never fires, a window longer than the encoder's positions crashes
mid-run): every field is checked at load time, and each problem is one
:class:`~privtag.errors.ModelLoadError` line naming the file, the field and the fix.

Example:
    >>> check_thresholds({"sentence": [0.5] * 12, "paragraph": [0.5] * 12}, "t.json")
"""

from __future__ import annotations

import dataclasses
import importlib.util
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from privtag.errors import ModelLoadError
from privtag.inference.encoding import CONTEXTS, MIN_LENGTH
from privtag.inference.era import gdpr_era_terms
from privtag.inference.fallback import FALLBACKS
from privtag.inference.paragraphs import ENCODINGS
from privtag.labels import LABELS, NUM_LABELS

AGGREGATES = ("max", "noisy_or", "direct", "max+direct")
DEVICES = ("cpu", "cuda", "auto")
_CHECKOUT_MODEL = Path(__file__).resolve().parents[3] / "model"


def shipped_model_dir() -> Path:
    """The default model: ``privtag/_model`` of an installed wheel, else ``model/`` of a checkout.

    The packaging maps the repository's top-level ``model/`` into the package as
    ``privtag._model`` (wheel, sdist and editable installs); running from a source tree
    on ``PYTHONPATH`` finds the checkout's ``model/`` instead.
    """
    try:
        spec = importlib.util.find_spec("privtag._model")
    except (ImportError, ValueError):
        spec = None
    for location in (spec.submodule_search_locations or []) if spec else []:
        if (Path(location) / "config.json").is_file():
            return Path(location)
    return _CHECKOUT_MODEL


#: The model shipped with privtag (regenerated only by ``--export``).
SHIPPED_MODEL_DIR = shipped_model_dir()


@dataclass
class InferenceSettings:
    """How a model is applied: saved with it as ``privtag.json`` (``dtype``/``device`` are not).

    Attributes:
        encoding: ``"sentence"``, a window per sentence with its context and a second
            pass per paragraph, or ``"paragraph"``, one pass per paragraph that scores
            the paragraph and each sentence from its own tokens
            (:mod:`privtag.inference.paragraphs`). The model must be trained for it.
        context: what context a sentence is encoded with (one of ``CONTEXTS``).
        max_length: tokens per sentence window; ``paragraph_max_length`` for paragraphs.
        context_tokens: the most tokens of context per window.
        aggregate: paragraph scores from sentence scores (one of :data:`AGGREGATES`).
        fallback: ``"paragraph"`` gives a paragraph that no label passes its
            nearest-to-passing label (:mod:`privtag.inference.fallback`); ``"none"`` does not.
        batch_size: units per forward pass (small length-sorted batches pad least:
            16 measured fastest on 2 cores).
        pack_tokens: with one pass per paragraph, windows are packed end to end (no
            padding) into rows of ``paragraph_max_length`` tokens, this many tokens a
            pass (:mod:`privtag.inference.packing`; about 1.2 times faster on 2 cores,
            ``benchmarks/RESULTS.md``); 0 pads batches of ``batch_size`` windows.
        dtype: ``auto``, ``float32`` or ``bfloat16`` (a load-time choice of this machine).
        device: ``cpu``, ``cuda`` or ``auto`` (cuda when available).

    Example:
        >>> InferenceSettings.from_dict({"aggregate": "noisy_or"}).aggregate
        'noisy_or'
        >>> InferenceSettings.from_dict({"batch_size": 0})
        Traceback (most recent call last):
        ...
        privtag.errors.ModelLoadError: <settings>: batch_size must be an integer of at least 1, not 0; fix it, or save or download the model again
    """

    encoding: str = "sentence"
    context: str = "section+previous"
    max_length: int = 128
    paragraph_max_length: int = 256
    context_tokens: int = 48
    aggregate: str = "max"
    fallback: str = "none"
    batch_size: int = 16
    pack_tokens: int = 2048
    dtype: str = "auto"
    device: str = "cpu"

    @classmethod
    def from_dict(cls, raw: dict, path: Path | str = "<settings>") -> InferenceSettings:
        """Checked settings from a dict (unknown keys such as ``labels`` are ignored).

        Raises:
            ModelLoadError: naming ``path``, the first bad field and the values it accepts.
        """
        check_settings(raw, path)
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in raw.items() if k in names})

    def to_dict(self) -> dict:
        """The settings as a plain dict (what ``Tagger.settings`` holds)."""
        return dataclasses.asdict(self)


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
    if "pack_tokens" in settings and not (
        _is_int(settings["pack_tokens"]) and settings["pack_tokens"] >= 0
    ):
        raise bad("pack_tokens", "an integer of at least 0 (0: no packing)")
    for field, allowed in (
        ("encoding", ENCODINGS),
        ("context", CONTEXTS),
        ("aggregate", AGGREGATES),
        ("fallback", FALLBACKS),
    ):
        if field in settings and not (
            isinstance(settings[field], str) and settings[field] in allowed
        ):
            raise bad(field, "one of " + ", ".join(allowed))
    if "device" in settings and settings["device"] not in DEVICES:
        raise bad("device", "one of " + ", ".join(DEVICES))
    if settings.get("labels", list(LABELS)) != list(LABELS):
        raise ModelLoadError(
            f"{path}: labels differ from privtag's 12 labels; retrain the model with this version"
        )


#: The name of a model's own tuned thresholds, as opposed to a profile fitted later.
DEFAULT_PROFILE = "default"
#: The name of the rule that picks a policy's profile from its own text (the default):
#: the model's ``"auto"`` profile for a policy that uses terms of today's privacy laws
#: (:mod:`privtag.inference.era`), the tuned thresholds for any other; a sentence given
#: without its policy (``predict()``) gets the model's profile for sentences alone, if it
#: has one, else the tuned thresholds.
AUTO_PROFILE = "auto"
#: The keys of ``thresholds.json`` ``"auto"``: the profile of a policy under today's laws,
#: and the profile of a sentence scored alone.
AUTO_KEYS = ("gdpr_era", "alone")
#: The largest scale a profile may apply (thresholds above 1 would never fire).
MAX_SCALE = 2.0
#: The help of every command's ``--model`` option that takes a model directory...
MODEL_HELP = "Model directory (default: $PRIVTAG_MODEL, else the shipped model)."
#: ... or also a baseline (tag, diff, batch).
MODEL_OR_BASELINE_HELP = MODEL_HELP.removesuffix(".") + ", rules, or tfidf:DIR."


def is_baseline(spec: str | Path | None) -> bool:
    """Whether a ``--model`` value names a baseline (``rules``, ``tfidf:DIR``), not a model.

    Example:
        >>> is_baseline("rules"), is_baseline("tfidf:runs/tfidf"), is_baseline("model")
        (True, True, False)
    """
    spec = "" if spec is None else str(spec)
    return spec == "rules" or spec.startswith("tfidf:")


#: The help of every command's ``--thresholds`` option.
PROFILE_HELP = (
    "Threshold profile saved with the model: 'auto' (the default, unless the model was "
    "saved with another) uses the model's profile "
    "for current policies on a policy that names today's privacy laws (GDPR, CCPA, ...) "
    "and the tuned thresholds on any other (the shipped model also uses it for sentences "
    "given alone, whose policy is unknown); 'default': the tuned thresholds always; the "
    "shipped model also has 'modern' (current policies, best F1) and 'modern-balanced' "
    "(current policies, precision = recall: what 'auto' uses)."
)


def reserved_profile(name: str) -> str | None:
    """Why ``name`` cannot name a fitted profile (the tuned thresholds' name, or the
    rule's), or None when it can.

    Example:
        >>> reserved_profile("auto")
        "a profile cannot be called 'auto'; choose another name"
    """
    if name in (DEFAULT_PROFILE, AUTO_PROFILE):
        return f"a profile cannot be called {name!r}; choose another name"
    return None


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
    profiles = thresholds.get("profiles", {})
    if not isinstance(profiles, dict):
        raise ModelLoadError(f"{path}: 'profiles' must be an object of name: profile; {_FIX}")
    for name, profile in profiles.items():
        per_label = _label_scales(profile) if isinstance(profile, dict) else None
        ok = isinstance(per_label, list) and len(per_label) == NUM_LABELS
        ok = ok and all(_is_scale(v) for v in [profile.get("scale"), *per_label])
        if name in (DEFAULT_PROFILE, AUTO_PROFILE) or not ok:
            raise ModelLoadError(
                f"{path}: threshold profile {name!r} needs a 'scale' (and, if it has them, "
                f"{NUM_LABELS} 'label_scales') above 0 and at most {MAX_SCALE}, and may not be "
                f"called {DEFAULT_PROFILE!r} or {AUTO_PROFILE!r}; refit it with "
                f"`privtag tune MODEL --profile NAME --data ANNOTATIONS`, or {_FIX}"
            )
    auto = thresholds.get(AUTO_PROFILE)
    if auto is not None and (
        not isinstance(auto, dict)
        or not auto
        or not set(auto) <= set(AUTO_KEYS)
        or not all(isinstance(v, str) and v in profiles for v in auto.values())
    ):
        raise ModelLoadError(
            f'{path}: \'auto\' must be {{"gdpr_era": NAME, "alone": NAME}} (either or both), '
            f"NAME one of the model's profiles ({', '.join(profiles) or 'it has none'}), not "
            f"{auto!r}; set it with `privtag tune MODEL --profile NAME --data ANNOTATIONS "
            f"--auto [--alone]`, or {_FIX}"
        )


def _label_scales(profile: dict):
    # a profile written before per-label factors applies its one scale to every label
    return profile.get("label_scales", [profile.get("scale")] * NUM_LABELS)


def _is_scale(v) -> bool:
    ok = isinstance(v, int | float) and not isinstance(v, bool)
    return ok and math.isfinite(v) and 0 < v <= MAX_SCALE


def resolve_profile(
    thresholds: dict, name: str, text: str | None = None, alone: bool = False
) -> tuple[str, list[str]]:
    """The profile that decides a policy under ``name``, and the terms that chose it.

    ``name`` other than ``"auto"`` is returned as it is. Under ``"auto"``, a policy
    ``text`` that uses terms of today's privacy laws
    (:func:`privtag.inference.era.gdpr_era_terms`) gets the model's ``"auto"`` profile
    (``thresholds.json`` ``{"auto": {"gdpr_era": NAME}}``, set by ``privtag tune --auto``);
    any other text, no text, or a model without that entry gets the tuned thresholds,
    ``"default"``. With ``alone`` (a sentence scored without its policy, whose era no
    text can tell), the model's ``{"auto": {"alone": NAME}}`` (``privtag tune --alone``),
    else ``"default"``.

    Example:
        >>> th = {"profiles": {"modern": {"scale": 0.5}}, "auto": {"gdpr_era": "modern"}}
        >>> resolve_profile(th, "auto", "Our legal basis under the GDPR is consent.")
        ('modern', ['GDPR', 'legal basis'])
        >>> resolve_profile(th, "auto", "We use cookies."), resolve_profile(th, "auto")
        (('default', []), ('default', []))
        >>> resolve_profile({**th, "auto": {"alone": "modern"}}, "auto", alone=True)
        ('modern', [])
    """
    if name != AUTO_PROFILE:
        return name, []
    if alone:
        return (thresholds.get(AUTO_PROFILE) or {}).get("alone", DEFAULT_PROFILE), []
    target = (thresholds.get(AUTO_PROFILE) or {}).get("gdpr_era")
    terms = gdpr_era_terms(text) if target and text else []
    return (target, terms) if terms else (DEFAULT_PROFILE, [])


def profile_scales(thresholds: dict, name: str, model: str = "model") -> np.ndarray:
    """The factors (12,) threshold profile ``name`` applies to the tuned thresholds.

    A profile (``thresholds.json`` ``"profiles"``, written by ``privtag tune --profile``)
    is fitted on annotated sentences of another kind of policy than the thresholds were
    tuned on: today's policies score lower than OPP-115's, so a profile fitted on them
    lowers the thresholds. It holds one shared ``scale`` and ``label_scales``, each
    label's own factor (a profile written before those applies ``scale`` to every label).
    ``"default"`` is the tuned thresholds: all ones; so is ``"auto"`` here, with no policy
    text to read (see :func:`resolve_profile`).

    Raises:
        ModelLoadError: no profile of that name, naming those the model has.

    Example:
        >>> th = {"profiles": {"modern": {"scale": 0.5}}}
        >>> profile_scales(th, "modern")[:3].tolist(), profile_scales(th, "default").tolist()[0]
        ([0.5, 0.5, 0.5], 1.0)
    """
    profiles = thresholds.get("profiles", {})
    known = [AUTO_PROFILE, DEFAULT_PROFILE, *profiles]
    have = ", ".join(known)
    if not isinstance(name, str) or not name.strip():
        raise ModelLoadError(f"a threshold profile needs a name: one of {have}")
    name = resolve_profile(thresholds, name)[0]  # with no policy text, "auto" is "default"
    if name == DEFAULT_PROFILE:
        return np.ones(NUM_LABELS)
    if name not in profiles:
        import difflib

        # a typo ("modrn"): the name meant first; a new name ("modern2") may be meant too
        near = difflib.get_close_matches(name, known, n=1, cutoff=0.75)
        meant = f": did you mean {near[0]!r}?" if near else ""
        raise ModelLoadError(
            f"model {model!r} has no threshold profile {name!r}{meant} (it has: {have}); to "
            "fit one of that name: "
            f"`privtag tune MODEL --profile {name} --data ANNOTATIONS --out NEW_MODEL` (or "
            "--force to add it to MODEL)"
        )
    return np.asarray(_label_scales(profiles[name]), dtype=float)
