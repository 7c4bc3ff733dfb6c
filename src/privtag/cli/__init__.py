"""The ``privtag`` command line: a thin layer over the Python API.

Errors privtag raises for bad input (:class:`privtag.errors.PrivtagError`) are printed
as one line on stderr with exit code 2; no traceback. Output files are checked before
any work starts and written atomically (:mod:`privtag.outputs`); existing ones are only
replaced with ``--force``.

This module makes the app and registers the commands, in the order ``privtag --help``
lists them; each command lives with the others of its concern
(:mod:`privtag.cli.policies`, :mod:`privtag.cli.evaluation`, :mod:`privtag.cli.models`,
:mod:`privtag.cli.tuning`)
or with its feature's package. The commands import what they need when they run, so
``privtag --help`` starts fast.
"""

from __future__ import annotations

import os
import sys
import warnings

import typer

from privtag.batch.command import batch_cmd
from privtag.cli.diffing import diff_cmd
from privtag.cli.evaluation import baseline_cmd, benchmark_cmd, evaluate_cmd
from privtag.cli.models import crossval_cmd, export_cmd, export_onnx_cmd, stage, train_cmd
from privtag.cli.policies import data_report_cmd, segment_cmd, tag_cmd, validate_cmd
from privtag.cli.tuning import tune_cmd
from privtag.errors import PolicyReadWarning, PrivtagError
from privtag.render.cli import report_cmd
from privtag.serve.cli import serve_cmd

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="Tag every sentence of a privacy policy with the data practices it states.",
)


@app.callback()
def _root() -> None:
    """Tag every sentence of a privacy policy with the data practices it states."""


app.command("segment")(segment_cmd)
app.command("validate")(validate_cmd)
app.command("evaluate")(evaluate_cmd)
app.command("baseline")(baseline_cmd)
app.command("benchmark")(benchmark_cmd)
app.command("train")(train_cmd)
app.command("crossval")(crossval_cmd)
app.command("export")(export_cmd)
app.command("export-onnx")(export_onnx_cmd)
app.command("tag")(tag_cmd)
app.command("data-report")(data_report_cmd)
app.command("tune")(tune_cmd)
app.command("dapt", help="Continue MLM training of the encoder on the corpus.")(
    stage("privtag.training.dapt", "dapt_cmd")
)
app.command("pseudo-label", help="Write a teacher's scores.")(
    stage("privtag.training.distill", "pseudo_label_cmd")
)
# commands that live with their feature's package
app.command("batch")(batch_cmd)
app.command("diff")(diff_cmd)
app.command("report")(report_cmd)
app.command("serve")(serve_cmd)


def main() -> None:
    """Console entry point: run the app, turning privtag errors into one-line messages.

    A closed stdout (``privtag segment x.md | head -1``) ends the run quietly, as it does
    for Unix tools; a full one (``> /dev/full``) is one line on stderr and exit code 2.
    """
    code: int | str | None = 0
    # a warning is one line on stderr, as an error is, not a source line of typer's
    warnings.showwarning = _one_line_warning
    # the commands print each policy's reading notes themselves (with its file name)
    warnings.filterwarnings("ignore", category=PolicyReadWarning)
    try:
        try:
            # not standalone: a usage error comes here, to be one line like any other
            # (click's own report is a framed box with a usage line)
            code = app(standalone_mode=False)
            # typer.Exit(n) returns n; a command's own return value is no exit code
            code = code if isinstance(code, int) and not isinstance(code, bool) else 0
        except _USAGE_ERROR as e:
            where = e.ctx.command_path if e.ctx is not None else "privtag"
            if e.format_message():  # none after the help that no arguments print
                typer.echo(f"privtag: error: {e.format_message()} (see `{where} --help`)", err=True)
            code = e.exit_code
        except typer.Abort:
            typer.echo("Aborted!", err=True)
            code = 1
        except _CLICK_ERROR as e:  # any other error click reports (a file it cannot open)
            typer.echo(f"privtag: error: {e.format_message()}", err=True)
            code = e.exit_code
        except SystemExit as e:
            code = e.code
        sys.stdout.flush()  # now, while a write error can still be reported
    except PrivtagError as e:
        typer.echo(f"privtag: error: {e}", err=True)
        code = 2
    except BrokenPipeError:
        _drop_stdout()
        code = 1  # what click gives a closed pipe it notices itself
    except OSError as e:
        from privtag.outputs import DISK_FULL

        if e.errno not in DISK_FULL:
            raise
        # output files report a full disk themselves (OutputError): this is stdout
        typer.echo(f"privtag: error: cannot write the output: {e.strerror}", err=True)
        _drop_stdout()
        code = 2
    sys.exit(code)


# click's usage error (a bad option, a missing argument, typer.BadParameter): typer vendors
# click and exports only BadParameter, whose base it is
_USAGE_ERROR = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")
_CLICK_ERROR = next(c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    typer.echo(f"privtag: warning: {' '.join(str(message).split())}", err=True)


def _drop_stdout() -> None:
    """Send what is left in stdout's buffer to /dev/null, so the flush at exit cannot fail."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real file descriptor (already replaced)
        pass
    finally:
        os.close(devnull)
