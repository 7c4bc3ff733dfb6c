"""What the commands share: their common options and the helpers that read them."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from privtag.inference.settings import PROFILE_HELP


def invocation(ctx: typer.Context) -> str:
    """The running command as a user would type it, rebuilt from its parsed parameters.

    Rebuilt rather than read from ``sys.argv``, which belongs to whatever program hosts
    the CLI (a test runner, a notebook).
    """
    import shlex

    words = ["privtag", ctx.info_name or ""]
    for param in ctx.command.params:
        value = ctx.params.get(param.name)
        if value is None or value is False or value == param.default or value in ([], ()):
            continue
        values = value if isinstance(value, list | tuple) else [value]
        for v in values:
            if param.param_type_name == "argument":
                words.append(str(v))
            elif v is True:
                words.append(param.opts[0])
            else:
                words += [param.opts[0], str(v)]
    return shlex.join(words)


#: the --force option of every command that writes files
Force = Annotated[
    bool, typer.Option("--force", help="Replace output files or directories that exist.")
]
#: the options every command that reads a recipe shares
Overrides = Annotated[
    list[str] | None,
    typer.Option("--set", help="Override a setting: section.key=value (repeatable)."),
]
#: the --thresholds option of the commands in this package that tag (commands of feature
#: packages declare it with the same help: importing privtag.cli there would be a cycle)
ThresholdProfile = Annotated[str | None, typer.Option("--thresholds", help=PROFILE_HELP)]
#: where the policy texts of annotation files are, for commands that read annotations
PoliciesDir = Annotated[
    Path | None,
    typer.Option(
        "--policies",
        help="Folder of the annotated policies' texts (default: policies/ beside the "
        "annotations' folder, else data/policies).",
    ),
]
Opp115Dir = Annotated[
    Path | None, typer.Option("--opp115", help="OPP-115 directory (default: ../shared/opp115).")
]


def opp115_input(opp115: Path | None, specs: list[str]) -> Path | None:
    """The OPP-115 directory a command reads, if any of its sources is ``opp115:SPLIT``."""
    if opp115 is not None:
        return opp115
    from privtag.data.sources import is_opp115

    if not any(map(is_opp115, specs)):
        return None
    from privtag.data.opp115 import default_root

    return default_root()


def require_eval_extra() -> None:
    """The packages of privtag's ``eval`` extra, which these commands are documented to need
    (a missing one names ``eval``, which brings them all, not the ``train`` part of it)."""
    from privtag.extras import require_installed

    require_installed("eval", "datasets", "sklearn", "evaluate", "matplotlib", "pandas")
