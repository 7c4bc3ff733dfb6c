"""``privtag tune``: re-tune a model's aggregation and thresholds, or fit a threshold profile."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from privtag.cli.options import Force, Opp115Dir, PoliciesDir, opp115_input


def tune_cmd(
    model: Annotated[
        Path,
        typer.Argument(help="A trained model directory (updated in place with --force)."),
    ],
    data: Annotated[
        list[str] | None,
        typer.Option("--data", help="Validation source (repeatable); default opp115:validation."),
    ] = None,
    opp115: Opp115Dir = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Write the tuned model here instead.")
    ] = None,
    tolerance: Annotated[
        float | None,
        typer.Option(
            "--aggregate-tolerance",
            help="Keep a one-pass aggregate (max, noisy_or) within this macro-F1 of the best "
            "(default: the model's recipe value, else 0).",
        ),
    ] = None,
    profile: Annotated[
        str | None,
        typer.Option(
            "--profile",
            help="Fit this threshold profile (factors on the tuned thresholds: one shared, "
            "and each label's own) on --data, "
            "annotated sentences of another kind of policy, instead of re-tuning; the tuned "
            "thresholds are kept.",
        ),
    ] = None,
    objective: Annotated[
        str,
        typer.Option(
            "--objective",
            help="With --profile: fit each label's factor for 'f1' (best F1, shrunk toward "
            "the shared factor) or 'balanced' (as many labels decided as annotated: "
            "precision = recall, unbiased counts).",
        ),
    ] = "f1",
    policies: PoliciesDir = None,
    auto: Annotated[
        bool,
        typer.Option(
            "--auto",
            help="With --profile: also make it the profile that --thresholds auto (the "
            "default) gives a policy naming today's privacy laws (GDPR, CCPA, ...).",
        ),
    ] = False,
    alone: Annotated[
        bool,
        typer.Option(
            "--alone",
            help="With --profile: also make it the profile that --thresholds auto gives a "
            "sentence scored alone (predict(), /api/predict), whose policy's era is unknown.",
        ),
    ] = False,
    force: Force = False,
) -> None:
    """Re-tune paragraph aggregation and per-label thresholds of a model on validation data.

    With --profile NAME, fit a named threshold profile instead (``privtag tag
    --thresholds NAME`` uses it), e.g. on current policies annotated under
    data/annotations/GUIDELINES.md:
    ``privtag tune model --profile modern --data data/annotations/modern-dev
    --data data/annotations/modern-train --force`` (``--force``: ``model`` is updated in
    place; ``--out DIR`` writes a copy instead).
    """
    from privtag.inference.persistence import model_directory
    from privtag.inference.settings import reserved_profile
    from privtag.outputs import Outputs, atomic_dir, spec_paths
    from privtag.training.profiles import OBJECTIVES

    if profile and not data:  # before any work, like every other bad argument
        raise typer.BadParameter(
            "--profile needs --data: annotated sentences of the policies the profile is for",
            param_hint="--data",
        )
    if objective not in OBJECTIVES:
        raise typer.BadParameter(
            f"must be one of {', '.join(OBJECTIVES)}, not {objective!r}", param_hint="--objective"
        )
    for flag, given in (("--auto", auto), ("--alone", alone)):
        if given and not profile:
            raise typer.BadParameter(
                f"{flag} names the profile fitted by --profile NAME: add --profile",
                param_hint=flag,
            )
    if objective != "f1" and not profile:
        raise typer.BadParameter(
            "--objective is for fitting a threshold profile: add --profile NAME",
            param_hint="--objective",
        )
    if profile and tolerance is not None:
        raise typer.BadParameter(
            "--aggregate-tolerance re-tunes the aggregate; --profile keeps it: give one of them",
            param_hint="--aggregate-tolerance",
        )
    if profile is not None and not profile.strip():
        raise typer.BadParameter("give the profile a name", param_hint="--profile")
    if profile and (refused := reserved_profile(profile)):
        raise typer.BadParameter(refused, param_hint="--profile")
    if tolerance is not None and not 0 <= tolerance <= 1:  # also refuses nan
        raise typer.BadParameter(
            f"must be a macro-F1 difference from 0 to 1, not {tolerance}",
            param_hint="--aggregate-tolerance",
        )
    if out is None and not force:
        # the model is an input: rewriting it (and, re-tuning, dropping its profiles) is
        # what --force is for
        raise typer.BadParameter(
            f"tune rewrites {model} in place{_profiles_dropped(model, profile)}: add --force "
            "to do that, or --out DIR to write a tuned copy",
            param_hint="--force",
        )
    specs = data or ["opp115:validation"]
    model_directory(model)  # a wrong path is named before seconds of importing torch
    outs = Outputs([model, *spec_paths(specs), opp115_input(opp115, specs), policies], force)
    out = outs.directory(out, "--out")
    from privtag.inference.tagger import Tagger

    tagger = Tagger.load(model)
    compact = (model / "compact.safetensors").is_file()
    if profile:
        lines = _fit_profile(tagger, profile, data, opp115, objective, policies)
        rule = tagger.thresholds.setdefault("auto", {})  # one flag keeps the other's entry
        if auto:
            rule["gdpr_era"] = profile
            lines.append(f"--thresholds auto now gives {profile!r} to policies under today's laws")
        if alone:
            rule["alone"] = profile
            lines.append(f"--thresholds auto now gives {profile!r} to sentences scored alone")
        if not rule:
            del tagger.thresholds["auto"]
    else:
        lines = _retune(tagger, specs, opp115, tolerance, policies)
    # in place, files the tagger does not write (a model card) are kept
    with atomic_dir(out or model, update=out is None) as tmp:
        tagger.save(tmp, compact=compact)
    for line in lines:
        typer.echo(line)
    typer.echo(
        f"saved to {out or model}" + (f"; use it with --thresholds {profile}" if profile else "")
    )


def _profiles_dropped(model: Path, profile: str | None) -> str:
    """ ", dropping its profiles a, b" when re-tuning ``model`` would drop some, else ""."""
    import json

    try:
        names = sorted(json.loads((model / "thresholds.json").read_text())["profiles"])
    except (OSError, ValueError, KeyError, TypeError):
        return ""  # no profiles, or a model that loading will report on
    return f", dropping its threshold profiles {', '.join(names)}" if names and not profile else ""


def _retune(tagger, specs, opp115, tolerance, policies) -> list[str]:
    import time

    from privtag.data.sources import load_units
    from privtag.inference.settings import AUTO_PROFILE
    from privtag.inference.tagger import AGGREGATES
    from privtag.training.tuning import tune_tagger

    dropped = sorted(tagger.thresholds.pop("profiles", {}))  # fitted on the old thresholds
    tagger.use_thresholds(AUTO_PROFILE)  # a profile in use may be one of them
    auto = tagger.thresholds.pop("auto", None)  # it names one of them
    sentences = load_units(specs, "sentence", opp115, policies=policies)
    _warn_seen(tagger, specs, sentences)
    result = tune_tagger(
        tagger,
        sentences,
        load_units(specs, "segment", opp115, policies=policies),
        list(AGGREGATES),
        _recipe_tolerance(tagger) if tolerance is None else tolerance,
    )
    tagger.metadata["validation"] = result
    tagger.metadata["tuned"] = {
        "on": specs,
        "date": time.strftime("%Y-%m-%d %H:%M:%S"),
        "aggregate_tolerance": result.get("aggregate_tolerance"),
    }
    lines = [
        f"{key}: micro-F1 {result[key]['micro']:.3f}, macro-F1 {result[key]['macro']:.3f}"
        for key in ("sentence", "segment")
        if key in result
    ]
    if lines:
        lines.append(
            "(scored on the data just tuned on: a development figure, not a result; "
            "`privtag evaluate` on other policies gives one)"
        )
    for level, labels in result.get("kept", {}).items():
        if labels:
            unit = "sentences" if level == "sentence" else "paragraphs of several sentences"
            lines.append(
                f"{level} thresholds kept, as the tuning data's {unit} cannot tune them (no "
                f"unit with the label, or no score between 0.05 and 0.95): {', '.join(labels)}"
            )
    lines.append(f"aggregate: {result.get('aggregate')}")
    if dropped:
        lines.append(
            f"threshold profiles dropped (fitted on the old thresholds): {', '.join(dropped)}; "
            "refit with `privtag tune MODEL --profile NAME --data ANNOTATIONS`"
            + (
                f" (add {_auto_flags(auto)} to make it the one --thresholds auto uses)"
                if auto
                else ""
            )
        )
    return lines


def _warn_seen(tagger, specs: list[str], units) -> None:
    """Warn when ``units`` hold policies ``tagger`` trained on: its scores there are those
    of seen text, so thresholds fitted on them suit unseen policies badly."""
    from privtag.evaluation.benchmark import seen_warnings

    for warning in seen_warnings(tagger, specs, set(units["policy"]), trained_only=True):
        typer.echo(f"privtag: warning: {warning}", err=True)


def _auto_flags(auto: dict) -> str:
    """The ``tune`` flags that wrote a model's ``"auto"`` rule: ``--auto``, ``--alone``."""
    return " ".join(f"--{'auto' if key == 'gdpr_era' else key}" for key in auto)


def _fit_profile(tagger, name, data, opp115, objective, policies) -> list[str]:
    from privtag.data.sources import load_units
    from privtag.training.profiles import tune_profile

    try:
        units = load_units(data, "sentence", opp115, policies=policies)
        _warn_seen(tagger, data, units)
        fit = tune_profile(tagger, units, name, data, objective)
    except ValueError as e:
        raise typer.BadParameter(str(e), param_hint="--profile") from e
    factors = fit["label_scales"]
    return [
        f"profile {name!r} ({objective}): shared scale {fit['scale']:g}, per label "
        f"{min(factors):.2f}-{max(factors):.2f}, on {fit['sentences']} sentences of "
        f"{fit['policies']} policies; mean micro-F1 (in policy, alone) "
        f"{fit['micro_before']:.3f} -> {fit['micro_after']:.3f} (shared) -> "
        f"{fit['micro_label_scales']:.3f} (per label) on those same sentences"
    ]


def _recipe_tolerance(tagger) -> float:
    recipe = tagger.metadata.get("recipe") or {}
    return float((recipe.get("train") or {}).get("aggregate_tolerance", 0.0))
