"""The CLI's streams: bad files among many, a closed or full stdout."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from privtag.cli import app
from privtag.errors import PolicyReadError

#: runs privtag's console entry point (privtag.cli:main) in a fresh interpreter
MAIN = [
    sys.executable,
    "-c",
    "import sys; from privtag.cli import main; sys.argv[0] = 'privtag'; main()",
]


@pytest.fixture
def three_files(tmp_path):
    """A good Markdown policy, an empty text file, a good text policy."""
    (a := tmp_path / "a.md").write_text("# Shop\n\nWe collect your name.\n", encoding="utf-8")
    (empty := tmp_path / "empty.txt").write_text("", encoding="utf-8")
    (c := tmp_path / "c.txt").write_text("We never sell your data.", encoding="utf-8")
    return a, empty, c


@pytest.mark.usefixtures("one_torch_thread")
def test_tag_reports_a_bad_file_and_goes_on(three_files, trained_tiny):
    a, empty, c = three_files
    result = CliRunner().invoke(
        app, ["tag", str(a), str(empty), str(c), "--model", str(trained_tiny)]
    )
    assert result.exit_code == 2
    assert f"== {a}" in result.stdout and f"== {c}" in result.stdout  # c.txt still tagged
    assert "We never sell your data." in result.stdout
    assert str(empty) not in result.stdout
    # (transformers may add progress bars on stderr)
    errors = [x for x in result.stderr.splitlines() if x.startswith("privtag:")]
    assert len(errors) == 2, errors
    assert errors[0].startswith(f"privtag: error: {empty}: ")  # the reason is the reader's
    assert errors[1] == "privtag: 1 of 3 files could not be tagged"


@pytest.mark.usefixtures("one_torch_thread")
def test_tag_strict_stops_at_the_first_bad_file(three_files, trained_tiny):
    a, empty, c = three_files
    args = ["tag", str(a), str(empty), str(c), "--model", str(trained_tiny), "--strict", "--json"]
    result = CliRunner().invoke(app, args)
    assert isinstance(result.exception, PolicyReadError)
    assert str(empty) in str(result.exception)
    assert len(result.stdout.splitlines()) == 1  # a.md only


def test_closed_stdout_ends_quietly(tmp_path):
    # far more output than a pipe holds, so the writer meets the closed pipe
    policy = tmp_path / "long.txt"
    policy.write_text("".join(f"We keep record {i} for a year.\n\n" for i in range(4000)))
    proc = subprocess.Popen(
        [*MAIN, "segment", str(policy)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout.readline().startswith(b"0:")
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    assert proc.wait(timeout=120) == 1
    assert stderr == ""


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
def test_full_stdout_is_one_line(tmp_path):
    (policy := tmp_path / "p.txt").write_text("We collect your name. We keep it.")
    with open("/dev/full", "w") as full:
        proc = subprocess.run(
            [*MAIN, "segment", str(policy)], stdout=full, stderr=subprocess.PIPE, timeout=120
        )
    assert proc.returncode == 2
    assert proc.stderr.decode().splitlines() == [
        "privtag: error: cannot write the output: No space left on device"
    ]


@pytest.mark.parametrize(
    "args, message",
    [
        (["batch", "x", "-o", "x.parquet", "--level", "paragrph"], "Invalid value for --level"),
        (["segment"], "Missing argument"),
        (["segment", "x.md", "--colour"], "No such option: --colour"),
        (["nosuchcmd"], "No such command 'nosuchcmd'"),
    ],
)
def test_a_usage_error_is_one_line_naming_the_help(tmp_path, args, message):
    # click's own report was a framed box of several lines with a usage line
    run = subprocess.run([*MAIN, *args], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 2 and run.stdout == ""
    (line,) = run.stderr.splitlines()
    assert line.startswith("privtag: error: ") and message in line
    assert line.endswith("--help`)")


def test_no_arguments_print_the_help_and_no_error_line():
    run = subprocess.run(MAIN, capture_output=True, text=True)
    assert run.returncode == 2 and "Usage: privtag" in run.stdout + run.stderr
    assert "privtag: error" not in run.stderr


def test_a_warning_is_one_line_on_stderr(tmp_path):
    from annotation_helpers import acme_rows, write_jsonl

    path = write_jsonl(tmp_path, acme_rows())
    (path.parent / "cedar.json").write_text(path.read_text())
    run = subprocess.run([*MAIN, "validate", str(path.parent)], capture_output=True,
                         text=True, check=False)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert (
        run.stderr == f"privtag: warning: {path.parent / 'cedar.json'}: not read (privtag "
        "reads .jsonl and .csv); rename it to .jsonl if it holds one record a line\n"
    )


@pytest.mark.usefixtures("one_torch_thread")
def test_tag_leaves_unreadable_files_to_its_reader_not_to_the_argument_parser(
    three_files, trained_tiny, monkeypatch
):
    import os

    a, _, c = three_files
    real = os.access
    # as if a.md could not be read: the parser used to refuse the whole command for it,
    # so c.txt was never tagged; privtag's reader reports such a file and goes on
    monkeypatch.setattr(os, "access", lambda p, m, **k: False if str(p) == str(a) else real(p, m))
    result = CliRunner().invoke(app, ["tag", str(a), str(c), "--model", str(trained_tiny)])
    assert result.exit_code == 0, result.output
    assert f"== {c}" in result.stdout
