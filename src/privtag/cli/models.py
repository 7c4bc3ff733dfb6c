"""The commands that make models: train, crossval, export, export-onnx, and the training
stages (dapt, pseudo-label) that live in their own modules (``tune``: :mod:`privtag.cli.tuning`)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer

from privtag.cli.options import Force, Opp115Dir, Overrides, opp115_input

# the measured difference: benchmarks/RESULTS.md, "Compact form" (largest 1.2e-3)
COMPACT_NOTE = (
    " (weights stored in float16: scores move by about 0.001, so a unit whose score sits at "
    "a threshold may change its label)"
)


def train_cmd(
    recipe: Annotated[Path, typer.Argument(help="Recipe file (TOML), e.g. train/default.toml.")],
    overrides: Overrides = None,
    opp115: Opp115Dir = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Resume from the last checkpoint.")
    ] = False,
    base: Annotated[
        Path | None,
        typer.Option(
            "--base",
            help="A local Hugging Face encoder directory (default: the recipe's model.base).",
        ),
    ] = None,
    export: Annotated[
        Path | None,
        typer.Option("--export", help="Also write the compact model (what model/ ships) here."),
    ] = None,
    crossval: Annotated[
        Path | None,
        typer.Option(
            "--crossval",
            help="A finished `privtag crossval` run of this recipe: train on all its policies, "
            "with the aggregation, decision rule and thresholds it measured best.",
        ),
    ] = None,
    decision: Annotated[
        str | None,
        typer.Option(
            "--decision", help="With --crossval: this rule instead, e.g. 'shrunk + top label'."
        ),
    ] = None,
    aggregate: Annotated[
        str | None,
        typer.Option("--aggregate", help="With --crossval: this paragraph aggregation instead."),
    ] = None,
    force: Force = False,
) -> None:
    """Fine-tune a tagger as the recipe says; saves it to train.output_dir.

    With --crossval RUN the model is the one to ship: trained like each fold of RUN on
    all of RUN's policies, decided by the row RUN measured best (thresholds fitted on its
    out-of-fold scores), with RUN's figures recorded in training.json.
    """
    from privtag.data.annotations import policy_folders
    from privtag.data.sources import is_own_annotations
    from privtag.outputs import Outputs, atomic_dir, spec_paths
    from privtag.training.recipe import Recipe

    r = Recipe.load(recipe, list(overrides or []))
    if opp115:
        r.data.opp115 = str(opp115)
    if resume:
        r.train.resume = True
    if base:
        r.model.base = str(base)
    sources = [*r.data.train, *r.data.validation]
    inputs = [
        recipe,
        *spec_paths(sources),
        opp115_input(r.data.opp115, sources),
        r.model.base,
        r.data.policies,
        # the policy texts found beside the annotations are read too
        *policy_folders([s for s in sources if is_own_annotations(s) and Path(s).exists()]),
    ]
    outs = Outputs([p for p in inputs if p and Path(p).exists()], force)
    # training adds checkpoints to its output directory: it may hold files already, but
    # never the recipe's inputs
    outs.directory(r.train.output_dir, "train.output_dir", update=True, parents=True)
    export = outs.directory(export, "--export")
    if (decision or aggregate) and not crossval:
        raise typer.BadParameter("--decision and --aggregate need --crossval RUN")
    if crossval:
        from privtag.evaluation.crossval_final import train_final

        tagger = train_final(r, crossval, aggregate, decision, echo=typer.echo, force=force)
    else:
        # torch and transformers load here, after every check above has passed
        from privtag.training.train import train

        tagger = train(r, force=force)
    v = tagger.metadata.get("validation", {})
    for lvl in ("sentence", "segment"):
        if lvl in v:
            typer.echo(
                f"validation {lvl}: micro-F1 {v[lvl]['micro']:.3f}, macro-F1 "
                f"{v[lvl]['macro']:.3f} (thresholds tuned on these units: a development "
                "figure, not a result)"
            )
    typer.echo(f"saved to {r.train.output_dir}")
    if export:
        with atomic_dir(export) as tmp:
            tagger.save(tmp, compact=True)
            _keep_card(export, tmp)
        typer.echo(f"compact model written to {export}" + COMPACT_NOTE)


def crossval_cmd(
    recipe: Annotated[Path, typer.Argument(help="Recipe file (TOML), e.g. train/default.toml.")],
    folds: Annotated[int, typer.Option("--folds", min=2, help="Number of folds (by policy).")] = 5,
    output: Annotated[
        Path, typer.Option("--output", "-o", help="Run folder: fold scores, resumable.")
    ] = Path("runs/cv"),
    fold: Annotated[
        list[int] | None, typer.Option("--fold", help="Run only this fold (repeatable).")
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", help="Fold assignment seed (default: train.seed).")
    ] = None,
    overrides: Overrides = None,
    opp115: Opp115Dir = None,
    report_only: Annotated[
        bool, typer.Option("--report-only", help="Train nothing: report the folds already run.")
    ] = False,
    markdown: Annotated[
        Path | None, typer.Option("--markdown", help="Write the results table (Markdown) here.")
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write every figure (JSON) here.")
    ] = None,
    bootstrap: Annotated[
        int, typer.Option("--bootstrap", min=0, help="Policy resamples (0: no intervals).")
    ] = 1000,
    partial: Annotated[
        bool, typer.Option("--partial", help="Report the folds done so far (at least two).")
    ] = False,
    keep_models: Annotated[
        bool,
        typer.Option(
            "--keep-models",
            help="Save each fold's model in <output>/fold<k>/model (about 90 MB each): "
            "the teacher of a student distilled under the same folds.",
        ),
    ] = False,
    force: Force = False,
) -> None:
    """Cross-validation by policy over the recipe's OPP-115 policies: train and score K folds
    (resumable), then report every decision rule against TF-IDF and keyword baselines."""
    import json

    from privtag.evaluation.crossval import run_crossval
    from privtag.evaluation.crossval_report import crossval_report
    from privtag.outputs import Outputs, spec_paths, write_text
    from privtag.training.recipe import Recipe

    outside = [k for k in fold or [] if not 0 <= k < folds]
    if outside:
        raise typer.BadParameter(
            f"{outside[0]} is not a fold of --folds {folds}: give 0 to {folds - 1}",
            param_hint="--fold",
        )
    r = Recipe.load(recipe, list(overrides or []))
    if opp115:
        r.data.opp115 = str(opp115)
    sources = [*r.data.train, *r.data.validation]
    outs = Outputs([recipe, *spec_paths(sources), opp115, r.data.policies], force)
    markdown = outs.file(markdown, "--markdown")
    json_out = outs.file(json_out, "--json")
    outs.directory(output, "--output", update=True, parents=True)  # made with its parents
    if not report_only:
        run_crossval(
            r, output, n_folds=folds, seed=seed, only=fold, keep_models=keep_models, echo=typer.echo
        )
    if fold and not (report_only or partial):
        return  # a run of some folds: report with --report-only (and --partial)
    # --report-only --fold K ...: only those folds, e.g. to match another run's folds
    only = sorted(set(fold)) if (fold and report_only) else None
    report = crossval_report(r, output, n_bootstrap=bootstrap, partial=partial, folds=only)
    if len(report.folds_done) < report.n_folds:
        done = ", ".join(map(str, report.folds_done))
        typer.echo(f"partial: folds {done} of {report.n_folds} ({report.n_policies} policies)")
    table = report.to_markdown()
    typer.echo(table)
    if markdown:
        write_text(markdown, table + "\n")
    if json_out:
        write_text(json_out, json.dumps(report.to_dict(), indent=1) + "\n")


def export_cmd(
    model: Annotated[Path, typer.Argument(help="A trained model directory.")],
    out: Annotated[Path, typer.Argument(help="Where to write the compact model.")],
    force: Force = False,
) -> None:
    """Write a model in compact form: only what differs from the base encoder, in float16."""
    from privtag.inference.tagger import Tagger
    from privtag.outputs import Outputs, atomic_dir

    Outputs([model], force).directory(out, "OUT")
    tagger = Tagger.load(model)
    with atomic_dir(out) as tmp:
        tagger.save(tmp, compact=True)
        _keep_card(out, tmp)
    typer.echo(f"compact model written to {out}" + COMPACT_NOTE)


#: A model directory's card: written by people, not by training.
CARD = "MODEL_CARD.md"


def _keep_card(target: Path, tmp: Path) -> None:
    # re-exporting into model/ replaces the directory as a whole; its card is carried
    # over (to be updated to the new figures) rather than deleted with the old weights
    card = Path(target) / CARD
    if card.is_file():
        shutil.copy2(card, tmp / CARD)


def export_onnx_cmd(
    model: Annotated[Path, typer.Argument(help="A trained model directory.")],
    int8: Annotated[
        bool, typer.Option("--int8", help="Also write the int8 model (linear layers quantized).")
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            "--output",
            help="Directory to write to (default: MODEL, beside its weights, where "
            "`--backend onnx` finds it). Elsewhere it is a copy for onnxruntime itself: "
            "privtag runs ONNX from the model folder.",
        ),
    ] = None,
    force: Force = False,
) -> None:
    """Export a model to ONNX for `--backend onnx` (needs the onnx extra).

    Each file records the hash of the weights it was made from; a stale one is rebuilt.
    In MODEL itself the ONNX files are a cache of its weights, rebuilt when stale; another
    --output that is not empty needs --force.
    """
    from privtag.inference.onnx_backend import export_onnx, onnx_file
    from privtag.inference.persistence import model_directory
    from privtag.outputs import Outputs

    model = model_directory(model)  # every file a tagger needs, before anything is written
    out = Outputs([model], force).directory(out, "--output")
    path = export_onnx(model, int8=int8, output=out)
    # --int8 writes (or keeps) the float32 file beside the int8 one: name both
    fp32 = onnx_file(path.parent)
    if int8 and fp32 != path:
        typer.echo(f"ONNX model written to {fp32} (float32) and {path} (int8)")
    else:
        typer.echo(f"ONNX model written to {path}")


def stage(module: str, function: str) -> Callable[..., None]:
    """A training stage command ``privtag NAME RECIPE [--set k=v]`` that lives in ``module``.

    ``privtag.cli`` registers it under its name; ``module`` is imported only when it runs.
    """

    def command(
        recipe: Annotated[Path, typer.Argument(help="Recipe file (TOML).")],
        overrides: Annotated[
            list[str] | None, typer.Option("--set", help="section.key=value")
        ] = None,
    ) -> None:
        import importlib

        getattr(importlib.import_module(module), function)(str(recipe), list(overrides or []))

    return command
