"""The commands that score models and baselines: evaluate, benchmark, baseline."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from privtag.cli.options import (
    Force,
    PoliciesDir,
    ThresholdProfile,
    invocation,
    opp115_input,
    require_eval_extra,
)
from privtag.inference.settings import is_baseline


def evaluate_cmd(
    model: Annotated[
        str, typer.Option("--model", help="rules, tfidf:DIR, or a fine-tuned model directory.")
    ],
    data: Annotated[
        list[str],
        typer.Option("--data", help="Annotation file or directory, or opp115:SPLIT (repeatable)."),
    ],
    level: Annotated[str, typer.Option("--level", help="sentence, segment or both.")] = "sentence",
    opp115: Annotated[
        Path | None,
        typer.Option("--opp115", help="OPP-115 directory (default: ../shared/opp115)."),
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write the results as JSON.")
    ] = None,
    markdown: Annotated[
        Path | None, typer.Option("--markdown", help="Write the tables as Markdown.")
    ] = None,
    chart: Annotated[Path | None, typer.Option("--chart", help="Write a per-label F1 PNG.")] = None,
    bootstrap: Annotated[
        int, typer.Option("--bootstrap", min=0, help="Bootstrap resamples (0: no intervals).")
    ] = 1000,
    thresholds: ThresholdProfile = None,
    policies: PoliciesDir = None,
    scoring: Annotated[
        str,
        typer.Option(
            "--scoring",
            help="policy: each policy tagged whole and every unit taken from the result, as "
            "`privtag tag` gives it; alone: each unit scored on its own, with the heading and "
            "previous sentence its record holds (predict() has neither: "
            "benchmarks/bench_modern.py measures it); "
            "auto (default): policy for a fine-tuned model on privtag annotation files, "
            "else alone.",
        ),
    ] = "auto",
    force: Force = False,
) -> None:
    """Score a model on annotated data: per-label P/R/F1, intervals, confusions, throughput."""
    import dataclasses
    import json

    require_eval_extra()  # before any work: a chart's matplotlib was missed only at the end

    from privtag.data.annotations import policy_files
    from privtag.data.sources import LEVELS, is_own_annotations, load_units
    from privtag.evaluation.benchmark import alone_thresholds, load_system, seen_warnings
    from privtag.evaluation.harness import evaluate_decisions, evaluate_system, reference_matrix
    from privtag.evaluation.in_policy import decide_in_policy
    from privtag.evaluation.tables import plot_f1
    from privtag.inference.settings import AUTO_PROFILE, DEFAULT_PROFILE
    from privtag.labels import NUM_LABELS
    from privtag.outputs import Outputs, spec_paths, write_text

    if level not in (*LEVELS, "both"):
        raise typer.BadParameter(
            f"use sentence, segment or both, not {level!r}", param_hint="--level"
        )
    if scoring not in ("auto", "policy", "alone"):
        raise typer.BadParameter(
            f"use auto, policy or alone, not {scoring!r}", param_hint="--scoring"
        )
    # in policy needs the policies' texts: privtag's own annotation files, and a tagger
    own_files = all(is_own_annotations(d) for d in data)
    baseline = is_baseline(model)
    if scoring == "policy" and (baseline or not own_files):
        raise typer.BadParameter(
            "scoring in policy needs a fine-tuned model and privtag annotation files (their "
            f"policy texts are tagged whole); use --scoring alone for {model} on "
            f"{', '.join(data)}",
            param_hint="--scoring",
        )
    in_policy = scoring == "policy" or (scoring == "auto" and own_files and not baseline)
    outs = Outputs([*spec_paths([*data, model]), opp115_input(opp115, data), policies], force)
    json_out = outs.file(json_out, "--json")
    markdown = outs.file(markdown, "--markdown")
    chart = outs.file(chart, "--chart", suffixes=(".png", ".svg"))
    levels = LEVELS if level == "both" else (level,)
    chosen = thresholds if in_policy or baseline else alone_thresholds(data, thresholds)
    old = chosen != thresholds  # OPP-115 alone: its own era's thresholds
    system = load_system(model, chosen)
    # results name the profile they used; units scored alone decide "auto" as "default"
    if thresholds not in (None, DEFAULT_PROFILE, AUTO_PROFILE):
        system.name = f"{system.name} (thresholds {thresholds})"
    how = "in their policies, as `privtag tag` gives them" if in_policy else "alone"
    if old:
        how += " (OPP-115, 2015-16 policies: the tuned thresholds; --thresholds auto decides as predict() does)"
    elif not in_policy and not baseline and system.profile == AUTO_PROFILE:
        alone = system.profile_for(alone=True)[0]
        how += (
            " (the tuned thresholds: a unit alone does not say when its policy was written)"
            if alone == DEFAULT_PROFILE
            else f" (a one-sentence unit at the model's profile for sentences alone, {alone!r}; "
            "a longer one at the tuned thresholds; --thresholds default: the tuned ones for all)"
        )
    typer.echo(f"Units scored {how}.\n")
    results = []
    for lvl in levels:
        units = load_units(data, lvl, opp115, policies=policies)  # every problem, listed
        if lvl == levels[0]:
            for warning in seen_warnings(system, data, set(units["policy"])):
                typer.echo(f"privtag: warning: {warning}.", err=True)
            # found as the units' were: they loaded, so every policy text is there
            files = policy_files(data, policies) if in_policy else {}
        name = f"{' + '.join(data)}, {lvl} level ({'in policy' if in_policy else 'alone'})"
        if in_policy:
            decided, seconds, _ = decide_in_policy(system, units, files, lvl)
            result = evaluate_decisions(
                decided,
                reference_matrix(units, NUM_LABELS),
                units["policy"],
                system=system.name,
                data_name=name,
                n_bootstrap=bootstrap,
                seconds=seconds,
            )
        else:
            result = evaluate_system(system, units, data_name=name, n_bootstrap=bootstrap)
        results.append(result)
        typer.echo(results[-1].to_text() + "\n")
    if json_out:
        payload = {"results": [r.to_dict() for r in results]}
        write_text(json_out, json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    if markdown:
        write_text(markdown, "\n\n".join(r.to_markdown() for r in results) + "\n")
    if chart:
        if len(levels) > 1:  # one system at two levels: tell the bars apart
            results = [
                dataclasses.replace(r, system=f"{r.system} ({lvl})")
                for r, lvl in zip(results, levels, strict=True)
            ]
        plot_f1(results, chart, title=f"Per-label F1 of {system.name} on {' + '.join(data)}")


def benchmark_cmd(
    ctx: typer.Context,
    opp115: Annotated[
        Path | None,
        typer.Option("--opp115", help="OPP-115 directory (default: ../shared/opp115)."),
    ] = None,
    model: Annotated[
        Path | None, typer.Option("--model", help="Fine-tuned model directory to include.")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Markdown file whose benchmark section is replaced."),
    ] = Path("benchmarks/RESULTS.md"),
    annotations: Annotated[
        Path, typer.Option("--annotations", help="Seed annotations directory.")
    ] = Path("data/annotations"),
    bootstrap: Annotated[
        int, typer.Option("--bootstrap", min=0, help="Bootstrap resamples (0: no intervals).")
    ] = 1000,
    tfidf_out: Annotated[
        Path | None,
        typer.Option("--tfidf-out", help="Save the fitted TF-IDF taggers to DIR/<level>."),
    ] = None,
    no_write: Annotated[bool, typer.Option("--no-write", help="Print only.")] = False,
    force: Force = False,
) -> None:
    """Compare the model with the rule and TF-IDF baselines on OPP-115 and the seed data."""
    require_eval_extra()
    from privtag.evaluation.benchmark import run_benchmark, write_section
    from privtag.outputs import Outputs

    outs = Outputs([opp115_input(opp115, ["opp115:"]), model, annotations], force)
    # --out gets only its benchmark section replaced: an intended update of a Markdown
    # file, no --force; any other file is not a results file, and is not touched
    out = outs.file(None if no_write else out, "--out", suffixes=(".md", ".markdown"), update=True)
    tfidf_out = outs.directory(tfidf_out, "--tfidf-out")

    run = run_benchmark(
        opp115, model, annotations, n_bootstrap=bootstrap, tfidf_out=tfidf_out, echo=typer.echo
    )
    typer.echo(run.to_text())
    if out:
        command = invocation(ctx)
        write_section(out, run.to_markdown(command))
        typer.echo(f"wrote the benchmark section of {out}")


def baseline_cmd(
    train: Annotated[
        list[str],
        typer.Option(
            "--train", help="Annotation file or directory, or opp115:SPLIT, to fit on (repeatable)."
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="Directory to write the baseline to.")],
    validation: Annotated[
        list[str] | None,
        typer.Option(
            "--validation",
            help="Sources to tune the per-label thresholds on (repeatable; default: none, "
            "every threshold 0.5). Policies apart from --train's and from those you will "
            "evaluate on.",
        ),
    ] = None,
    level: Annotated[
        str, typer.Option("--level", help="Units to fit on: sentence or segment.")
    ] = "sentence",
    opp115: Annotated[
        Path | None,
        typer.Option("--opp115", help="OPP-115 directory (default: ../shared/opp115)."),
    ] = None,
    policies: PoliciesDir = None,
    force: Force = False,
) -> None:
    """Fit the TF-IDF + logistic regression baseline on annotations and save it.

    Score it as any model, beside a fine-tuned one on the same data:
    ``privtag baseline --train my/train --validation my/dev --out runs/tfidf``, then
    ``privtag evaluate --model tfidf:runs/tfidf --data my/test`` (and ``--model rules``,
    ``--model MODEL_DIR``).
    """
    from privtag.extras import require

    require("train", "sklearn")  # before minutes of reading annotations
    from privtag.data.sources import LEVELS, load_units
    from privtag.errors import first_few, plural
    from privtag.evaluation.baselines import TfidfTagger
    from privtag.outputs import Outputs, atomic_dir, spec_paths

    if level not in LEVELS:
        raise typer.BadParameter(f"use sentence or segment, not {level!r}", param_hint="--level")
    sources = [*train, *(validation or [])]
    outs = Outputs([*spec_paths(sources), opp115_input(opp115, sources), policies], force)
    out = outs.directory(out, "--out")
    fit_on = load_units(train, level, opp115, policies=policies)
    tune_on = load_units(validation, level, opp115, policies=policies) if validation else None
    if tune_on is not None and (both := sorted(set(fit_on["policy"]) & set(tune_on["policy"]))):
        typer.echo(
            f"privtag: warning: {plural(len(both), 'policy')} in --train and --validation "
            f"({first_few(both)}): thresholds tuned on them are optimistic",
            err=True,
        )
    tagger = TfidfTagger().fit(fit_on, tune_on)
    with atomic_dir(out) as tmp:
        tagger.save(tmp)
    tuned = (
        f"thresholds tuned on {len(tune_on)} units"
        if tune_on is not None
        else "every threshold 0.5 (no --validation)"
    )
    typer.echo(
        f"TF-IDF + LR fitted on {plural(len(fit_on), level + ' unit')} of "
        f"{plural(len(set(fit_on['policy'])), 'policy')}; {tuned}; saved to {out}\n"
        f"score it with: privtag evaluate --model tfidf:{out} --data TEST"
    )
