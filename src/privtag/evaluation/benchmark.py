"""Benchmark the fine-tuned tagger against the rule and TF-IDF baselines.

:func:`run_benchmark` fits the TF-IDF baseline on OPP-115's training policies (thresholds
on its validation policies), evaluates every system on OPP-115 validation and on the
seed annotations at segment and sentence level, and returns the side-by-side tables;
:func:`write_section` puts them in ``benchmarks/RESULTS.md``. :func:`load_system` also
serves ``privtag evaluate``; data comes from :func:`privtag.data.load_units`.

Example:
    >>> run = run_benchmark(opp115="../shared/opp115", model=None)     # doctest: +SKIP
    >>> write_section("benchmarks/RESULTS.md", run.to_markdown("privtag benchmark"))  # doctest: +SKIP
"""

from __future__ import annotations

import os
import platform
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from privtag.data.opp115 import default_root
from privtag.data.sources import is_opp115, load_units
from privtag.errors import DataError, ModelLoadError, PrivtagError, first_few
from privtag.evaluation.baselines import RuleTagger, TfidfTagger
from privtag.evaluation.harness import Comparison, System, compare
from privtag.evaluation.tables import format_table, pct
from privtag.extras import require
from privtag.outputs import atomic_dir, write_text

SECTION = "## Benchmark: model against baselines"
LEVELS = ("segment", "sentence")  # the order of the tables

_PUBLISHED = """\
PrivacyGLUE (Shankar et al., Applied Sciences 13(6):3701, 2023) reports, for OPP-115 with
the same 12 labels and majority vote, micro/macro F1 of 84.0/78.4 for BERT-base and
87.2/82.1 for PrivBERT (figures as cited in privtag's benchmark issue). Their setting
differs from ours, and the first difference alone makes their task easier:

* **Split.** They split *segments* at random, so segments of one policy, which share
  boilerplate and annotators, sit on both sides of the split. We split by *policy*
  (PLUE's split): no validation policy contributes a single training unit.
* **Test data.** They report on a test set; we report on the 10 validation policies (the
  20 test policies are held out of this repository), a small sample: see the intervals.
* **Tuning.** Our TF-IDF thresholds are tuned on the validation policies we report on, and
  so are the model's thresholds, paragraph aggregation and early-stopping checkpoint in
  privtag's default recipe: this flatters both a little (the rules tune nothing).
* **Runs.** They average 10 seeds on GPUs; ours is one seeded run on CPU.

So their figures are context for the segment-level tables, not a like-for-like comparison.
"""


def alone_thresholds(specs: Sequence[str], thresholds: str | None) -> str | None:
    """The profile a model decides units scored alone from ``specs`` at.

    OPP-115's policies are from 2015-16, and the tuned thresholds (like TF-IDF's) were
    fitted on them: scored alone, their units get those, not the profile ``auto`` gives a
    sentence of unknown era (one of today's policies). An explicit ``thresholds``, or any
    other data, is kept.

    Example:
        >>> alone_thresholds(["opp115:validation"], None), alone_thresholds(["opp115"], None)
        ('default', 'default')
        >>> alone_thresholds(["x.jsonl"], None), alone_thresholds(["opp115"], "auto")
        (None, 'auto')
    """
    from privtag.inference.settings import DEFAULT_PROFILE

    if thresholds is None and specs and all(is_opp115(s) for s in specs):
        return DEFAULT_PROFILE
    return thresholds


def load_system(spec: str, thresholds: str | None = None) -> System:
    """A system from a ``--model`` value: ``rules``, ``tfidf:DIR``, or a fine-tuned model DIR.

    ``thresholds`` names a threshold profile of a fine-tuned model
    (:meth:`privtag.Tagger.use_thresholds`).

    Raises:
        ModelLoadError: the directory does not hold a model of that kind, or a profile was
            asked of a system without one.
    """
    from privtag.inference.settings import AUTO_PROFILE, DEFAULT_PROFILE, is_baseline

    baseline = is_baseline(spec)
    if baseline and thresholds in (AUTO_PROFILE, DEFAULT_PROFILE):
        thresholds = None  # a baseline's own thresholds are its default
    if thresholds and baseline:
        raise ModelLoadError(
            f"--thresholds {thresholds} needs a fine-tuned model; {spec} has its own "
            "thresholds: leave --thresholds out"
        )
    if spec == "rules":
        return RuleTagger()
    if spec.startswith("tfidf:"):
        return TfidfTagger.load(spec.split(":", 1)[1])
    from privtag.inference.tagger import Tagger  # torch and transformers: only when asked for

    return Tagger.load(spec, thresholds=thresholds)


def policies_trained_on(system: object, include: str = "train") -> set[str] | None:
    """Policies of non-OPP-115 sources named in a tagger's recipe; None if unknown.

    ``include``: ``"train"`` (its training data) or ``"validation"`` (what it was tuned,
    or with ``--crossval`` also trained, on).
    """
    recipe = getattr(system, "metadata", {}).get("recipe") or {}
    specs = (recipe.get("data") or {}).get(include)
    if specs is None:
        return None
    seen: set[str] = set()
    for spec in specs:
        if is_opp115(spec):
            continue
        try:
            seen |= set(load_units([spec])["policy"])
        except (PrivtagError, OSError):
            seen.add(Path(spec).stem)  # annotation files are named after their policy
    return seen


def seen_warnings(
    system: object, specs: list[str], policies: set[str], trained_only: bool = False
) -> list[str]:
    """Why figures of ``system`` on data ``specs`` (holding ``policies``) would be optimistic:
    the model trained on some of it, or tuned its thresholds on it (unless
    ``trained_only``: re-tuning on them is what tuning does). Empty when neither.

    A model made by ``privtag train --crossval`` trained on its recipe's training and
    validation data together (``metadata["crossval"]``); any other tuned its thresholds on
    the validation data. OPP-115 is matched by split (``opp115`` and ``opp115:all`` hold
    every split), other sources by the policies they hold.
    """
    meta = getattr(system, "metadata", {}) or {}
    data = (meta.get("recipe") or {}).get("data") or {}
    train, validation = list(data.get("train") or []), list(data.get("validation") or [])
    pooled = bool(meta.get("crossval"))
    name = getattr(system, "name", "the model")

    def opp_hits(seen: list[str]) -> list[str]:
        seen_splits = {s.partition(":")[2] or "all" for s in seen if is_opp115(s)}
        if not seen_splits:
            return []
        out = []
        for s in specs:
            split = s.partition(":")[2] or "all" if is_opp115(s) else None
            if split is not None and (
                "all" in seen_splits or split == "all" or split in seen_splits
            ):
                out.append(s)
        return out

    def own_hits(include: str) -> list[str]:
        return sorted((policies_trained_on(system, include) or set()) & policies)

    trained_specs = train + (validation if pooled else [])
    tuned_specs = [] if pooled or trained_only else validation
    trained = sorted(set(own_hits("train")) | (set(own_hits("validation")) if pooled else set()))
    tuned = [] if pooled or trained_only else own_hits("validation")
    out = []
    # what fitting thresholds on seen text does, for tune; what scoring on it does, else
    fit = "thresholds fitted on text it trained on will not suit unseen policies: tune on others"
    if hits := opp_hits(trained_specs):
        meaning = fit if trained_only else "its figures there are not a result"
        out.append(f"{name} trained on {', '.join(hits)}: {meaning}")
    if hits := opp_hits(tuned_specs):
        out.append(
            f"{name} tuned its thresholds on {', '.join(hits)}: its figures there are a "
            "development number"
        )
    for what, found, meaning in (
        ("trained on", trained, fit if trained_only else "their figures are optimistic"),
        ("tuned its thresholds on", tuned, "their figures are a development number"),
    ):
        if found:
            out.append(
                f"{name} {what} {len(found)} of these policies ({first_few(found)}): {meaning}"
            )
    return out


@dataclass
class BenchmarkRun:
    """The tables of one benchmark run and what is needed to describe it."""

    comparisons: list[Comparison] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    systems: list[str] = field(default_factory=list)
    n_bootstrap: int = 1000
    load_average: float | None = None  # of the machine when the run started

    def summary(self, markdown: bool = False) -> str:
        """One side-by-side table: a row per data set and level, micro / macro F1 per system."""
        systems = list(dict.fromkeys(r.system for c in self.comparisons for r in c.results))
        rows = []
        for c in self.comparisons:
            by = {r.system: r for r in c.results}
            cells = [
                f"{pct(by[s].scores['micro']['f1'])} / {pct(by[s].scores['macro']['f1'])}"
                if s in by
                else ""
                for s in systems
            ]
            rows.append([c.results[0].data, str(c.results[0].n_units), *cells])
        head = ["micro / macro F1 (%)", "units", *systems]
        return format_table(head, rows, markdown=markdown)

    def to_text(self) -> str:
        """All tables for the terminal, the summary last."""
        tables = [c.to_text() for c in self.comparisons]
        return "\n\n".join([*tables, *self.notes, "Summary:\n" + self.summary()])

    def to_markdown(self, command: str) -> str:
        """The body of the RESULTS.md section (without its heading)."""
        lines = [
            f"Measured {time.strftime('%Y-%m-%d')} on {machine()}, with `{command}`.",
            "",
            *(f"- {s}" for s in self.systems),
            "",
            "OPP-115 labels are the 12 PrivacyGLUE labels by majority vote (at least 2 of 3 "
            "annotators); a segment is an OPP-115 segment, a sentence one of privtag's sentences "
            "within it (`privtag.data.opp115`). Seed-annotation segments are paragraphs, labelled with "
            "the union of their sentences' labels. F1 in %; averages with 95% intervals from "
            f"{self.n_bootstrap} bootstrap resamples of policies (seed 0). Throughput: units per "
            "second of `predict` on all units at once, on this machine"
            + (
                f" (1-minute load average {self.load_average:.1f} when the run started: other "
                "jobs shared the cores, so throughput and fit times are lower than on an idle "
                "machine)."
                if self.load_average is not None and self.load_average >= 1
                else "."
            ),
            "",
        ]
        lines += ["### Summary", "", self.summary(markdown=True), ""]
        for c in self.comparisons:
            name = c.results[0].data
            body = c.to_markdown().removeprefix(f"{name}: ")
            lines += [f"### {name}", "", body[0].upper() + body[1:], ""]
        if self.notes:
            lines += ["Notes:", "", *(f"- {n}" for n in self.notes), ""]
        lines += ["### Published figures", "", _PUBLISHED]
        return "\n".join(lines).rstrip() + "\n"


def run_benchmark(
    opp115: str | Path | None = None,
    model: str | Path | None = None,
    annotations: str | Path = "data/annotations",
    levels: Sequence[str] = LEVELS,
    n_bootstrap: int = 1000,
    seed: int = 0,
    tfidf_out: str | Path | None = None,
    echo: Callable[[str], None] = print,
) -> BenchmarkRun:
    """Fit, load and evaluate every system; return the tables (nothing is written).

    Args:
        opp115: the OPP-115 directory (default: :func:`privtag.data.opp115.default_root`).
        model: a fine-tuned model directory for ``privtag.inference.tagger.Tagger`` (optional).
        annotations: directory of the seed annotations (``*.jsonl``); skipped if absent.
        levels: ``"segment"`` and/or ``"sentence"``.
        n_bootstrap, seed: the policy bootstrap; ``seed`` also seeds the TF-IDF solver.
        tfidf_out: if given, the fitted TF-IDF taggers are saved to ``tfidf_out/<level>``.
        echo: where progress lines go.
    """
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else None
    run = BenchmarkRun(n_bootstrap=n_bootstrap, load_average=load)
    root = Path(opp115) if opp115 else default_root()
    if root is None or not (root / "split.json").is_file():
        raise DataError(
            f"OPP-115 not found at {root or '../shared/opp115'}; pass --opp115 DIR (the corpus "
            "is research-only and never shipped with privtag)"
        )
    from privtag.data.opp115 import load_opp115
    from privtag.inference.settings import DEFAULT_PROFILE

    tagger = None
    if model is not None:
        # OPP-115's policies are from 2015-16 and TF-IDF's thresholds are tuned on them: the
        # model's units alone get its tuned thresholds too (the seed annotations as well, so
        # that one system is compared on both), not the profile for current policies
        tagger = load_system(str(model), DEFAULT_PROFILE)
        echo(f"loaded {tagger.name} from {model}")
    seeds = sorted(Path(annotations).glob("*.jsonl")) if Path(annotations).is_dir() else []
    if not seeds:
        run.notes.append(f"No seed annotations in {annotations}: that evaluation was skipped.")
    seen = policies_trained_on(tagger) if tagger is not None else set()
    run.systems.append(
        "**rules**: `privtag.evaluation.baselines.RuleTagger`, keyword rules, nothing learned."
    )
    for level in levels:
        dd = load_opp115(root, level=level)
        started = time.perf_counter()
        tfidf = TfidfTagger(seed=seed).fit(dd["train"], dd["validation"])
        fit = time.perf_counter() - started
        echo(f"{level}: TF-IDF fit on {len(dd['train'])} units in {fit:.1f} s")
        if tfidf_out is not None:
            Path(tfidf_out).mkdir(parents=True, exist_ok=True)
            with atomic_dir(Path(tfidf_out) / level) as tmp:
                tfidf.save(tmp)
            echo(f"saved the TF-IDF tagger to {Path(tfidf_out) / level}")
        run.systems.append(
            f"**tfidf** ({level}): `privtag.evaluation.baselines.TfidfTagger` (C=4, balanced), fit on the "
            f"{len(set(dd['train']['policy']))} OPP-115 training policies ({len(dd['train'])} "
            f"{level}s, {len(tfidf.vocabulary_)} n-grams) in {fit:.1f} s; thresholds tuned "
            "per label on OPP-115 validation."
        )
        systems = [RuleTagger(), tfidf] + ([tagger] if tagger is not None else [])
        validation = f"OPP-115 validation, {level} level"
        # the shipped model trained on every OPP-115 policy, validation included: its
        # figures there are no result, and the table must say so, as evaluate does
        seen_here = seen_warnings(tagger, ["opp115:validation"], set()) if tagger else []
        for warning in seen_here:
            echo(f"warning: {level}: {warning}")
        if seen_here:
            run.notes.append(f"{validation}: {'; '.join(seen_here)}.")
            # only warnings of training, not of tuning
            trained = seen_warnings(tagger, ["opp115:validation"], set(), trained_only=True)
            validation += (
                f" ({tagger.name}: trained on these policies, not a result)"
                if trained
                else f" ({tagger.name}: thresholds tuned on these policies, a development number)"
            )
        sets = [(validation, dd["validation"])]
        if seeds:
            units = load_units([str(p) for p in seeds], level)
            if seen:
                keep = [i for i, p in enumerate(units["policy"]) if p not in seen]
                units = units.select(keep)
            held = sorted(set(units["policy"]))
            sets.append((f"Seed annotations ({', '.join(held)}), {level} level", units))
        for name, ds in sets:
            if len(ds) == 0:
                run.notes.append(f"{name}: no units left to evaluate on.")
                continue
            echo(f"evaluating on {name} ({len(ds)} units)")
            run.comparisons.append(
                compare(systems, ds, data_name=name, n_bootstrap=n_bootstrap, seed=seed)
            )
    if tagger is not None:
        dtype = str(getattr(tagger, "dtype", "")).removeprefix("torch.")
        aggregate = getattr(tagger, "settings", {}).get("aggregate")
        run.systems.append(
            f"**{tagger.name}**: `privtag.inference.tagger.Tagger` loaded from `{model}`"
            + (f" (computing in {dtype}, paragraph aggregate {aggregate})." if dtype else ".")
        )
        if seen:
            run.notes.append(
                f"Seed policies the model was trained on ({', '.join(sorted(seen))}) are left "
                "out of the seed evaluation for every system."
            )
        elif seen is None:
            run.notes.append(
                "The model's metadata does not say which seed policies it was trained on; the "
                "seed evaluation may include some of them."
            )
    else:
        run.notes.append("No fine-tuned model given (`--model DIR`): only the baselines ran.")
    return run


def machine() -> str:
    """A one-line description of this machine and the versions that matter."""
    import numpy

    require("train", "sklearn")
    import sklearn

    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} CPU cores, Python "
        f"{platform.python_version()}, numpy {numpy.__version__}, scikit-learn {sklearn.__version__}"
    )


def write_section(path: str | Path, body: str, heading: str = SECTION) -> Path:
    """Replace the section under ``heading`` in a Markdown file (up to the next ``## ``).

    The heading is appended at the end when the file does not have it yet; everything
    outside the section is kept byte for byte. The file is replaced atomically, so an
    interrupted write never leaves half a results file.
    """
    path = Path(path)
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    lines = text.splitlines(keepends=True)
    section = heading + "\n\n" + body.rstrip("\n") + "\n"
    start = next((i for i, line in enumerate(lines) if line.rstrip() == heading), None)
    if start is None:
        sep = "" if not text else "\n" if text.endswith("\n") else "\n\n"
        return write_text(path, text + sep + section)
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    after = "".join(lines[end:])
    return write_text(path, "".join(lines[:start]) + section + ("\n" + after if after else ""))
