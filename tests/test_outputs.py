"""privtag.outputs: output targets are checked up front and written atomically."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from privtag.errors import DataError, OutputError, PrivtagError
from privtag.outputs import Outputs, atomic_dir, atomic_file, spec_paths, write_text


def test_spec_paths_keeps_only_paths():
    specs = ["opp115:train", "doccano:d.jsonl", "labelstudio:l.json", "tfidf:m", "a/b", "rules"]
    assert spec_paths(specs) == [Path("d.jsonl"), Path("l.json"), Path("m"), Path("a/b")]
    for empty in ("tfidf:", "doccano: "):  # not the working directory
        with pytest.raises(DataError, match=f"{empty!r} names no path; write it as "):
            spec_paths([empty])


def test_output_errors_are_privtag_errors():
    assert issubclass(OutputError, PrivtagError)


def test_an_input_is_never_an_output(tmp_path):
    data = tmp_path / "a.jsonl"
    data.write_text("{}\n")
    outs = Outputs([data], force=True)  # not even with force
    with pytest.raises(OutputError, match=r"^--json .*a\.jsonl is an input of this command"):
        outs.file(data, "--json")
    # the same file by another name: a relative path, a symlink, a hard link
    os.symlink(data, tmp_path / "link.jsonl")
    os.link(data, tmp_path / "hard.jsonl")
    for other in (tmp_path / "link.jsonl", tmp_path / "hard.jsonl"):
        with pytest.raises(OutputError, match="is an input"):
            Outputs([data], force=True).file(other, "--json")
    assert data.read_text() == "{}\n"


def test_outputs_inside_or_around_an_input_directory_are_refused(tmp_path):
    (inputs := tmp_path / "annotations").mkdir()
    outs = Outputs([inputs], force=True)
    with pytest.raises(OutputError, match="is inside the input"):
        outs.file(inputs / "x.jsonl", "--markdown")
    with pytest.raises(OutputError, match="is inside the input"):
        outs.directory(inputs / "sub", "--export")
    # replacing a directory that holds an input would delete the input
    with pytest.raises(OutputError, match="holds the input"):
        Outputs([inputs], force=True).directory(tmp_path, "--export")


def test_existing_file_needs_force(tmp_path):
    (target := tmp_path / "r.json").write_text("old")
    with pytest.raises(OutputError, match=r"already exists; pass --force to replace it"):
        Outputs().file(target, "--json")
    assert Outputs(force=True).file(target, "--json") == target
    assert Outputs().file(target, "--out", update=True) == target  # an intended edit


def test_bad_targets_are_named_with_the_fix(tmp_path):
    (adir := tmp_path / "adir").mkdir()
    cases = {
        "is a directory; give a file name": (adir, ()),
        "the directory .*missing does not exist; create it first": (
            tmp_path / "missing" / "r.json",
            (),
        ),
        "must end in .png or .svg": (tmp_path / "r.txt", (".png", ".svg")),
    }
    for message, (path, suffixes) in cases.items():
        with pytest.raises(OutputError, match=message):
            Outputs(force=True).file(path, "--chart", suffixes=suffixes)
    (afile := tmp_path / "f").write_text("x")
    with pytest.raises(OutputError, match="is not a directory"):
        Outputs().file(afile / "r.json", "--json")
    with pytest.raises(OutputError, match="is a file, not a directory"):
        Outputs(force=True).directory(afile, "--export")


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes in read-only directories")
def test_unwritable_parent_is_refused(tmp_path):
    (ro := tmp_path / "ro").mkdir()
    ro.chmod(0o555)
    try:
        with pytest.raises(OutputError, match="cannot write in"):
            Outputs().file(ro / "r.json", "--json")
    finally:
        ro.chmod(0o755)


def test_two_outputs_may_not_share_a_place(tmp_path):
    outs = Outputs()
    outs.file(tmp_path / "r.json", "--json")
    with pytest.raises(OutputError, match=r"--markdown .*r\.json and --json .*would write"):
        outs.file(tmp_path / "r.json", "--markdown")
    outs.claim(tmp_path / "run", "train.output_dir")
    with pytest.raises(OutputError, match="would write the same place"):
        outs.directory(tmp_path / "run" / "compact", "--export")


def test_directory_targets(tmp_path):
    (full := tmp_path / "full").mkdir()
    (full / "x").write_text("x")
    with pytest.raises(OutputError, match="is not empty; pass --force"):
        Outputs().directory(full, "--export")
    assert Outputs(force=True).directory(full, "--export") == full
    (empty := tmp_path / "empty").mkdir()
    assert Outputs().directory(empty, "--export") == empty
    assert Outputs().directory(tmp_path / "new", "--export") == tmp_path / "new"
    assert Outputs().directory(None, "--export") is None


def test_write_text_replaces_atomically_and_keeps_the_mode(tmp_path):
    target = tmp_path / "r.md"
    assert write_text(target, "one\n") == target
    target.chmod(0o640)
    write_text(target, "two\n")
    assert target.read_text() == "two\n"
    assert target.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["r.md"]  # no temporary file left


def test_a_failed_write_leaves_the_old_file(tmp_path):
    (target := tmp_path / "r.json").write_text("old")
    with pytest.raises(RuntimeError), atomic_file(target) as f:
        f.write("half")
        raise RuntimeError("disk full")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_atomic_dir_replaces_the_whole_directory(tmp_path):
    (target := tmp_path / "model").mkdir()
    (target / "stale.bin").write_text("old")
    with atomic_dir(target) as tmp:
        assert tmp.parent == tmp_path and tmp != target
        (tmp / "weights").write_text("new")
    assert sorted(p.name for p in target.iterdir()) == ["weights"]
    assert [p.name for p in tmp_path.iterdir()] == ["model"]


def test_atomic_dir_update_keeps_other_files_and_failure_keeps_all(tmp_path):
    (target := tmp_path / "model").mkdir()
    (target / "MODEL_CARD.md").write_text("card")
    (target / "thresholds.json").write_text("old")
    with atomic_dir(target, update=True) as tmp:
        (tmp / "thresholds.json").write_text("new")
    assert (target / "MODEL_CARD.md").read_text() == "card"
    assert (target / "thresholds.json").read_text() == "new"
    with pytest.raises(RuntimeError), atomic_dir(target) as tmp:
        (tmp / "thresholds.json").write_text("broken")
        raise RuntimeError("interrupted")
    assert (target / "thresholds.json").read_text() == "new"
    assert [p.name for p in tmp_path.iterdir()] == ["model"]


def test_a_failed_probe_write_is_reported(tmp_path, monkeypatch):
    """What a read-only mount does to the probe file (the test may run as root)."""
    import tempfile

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(OutputError, match=r"cannot write in .* \(Permission denied\); choose"):
        Outputs().file(tmp_path / "r.json", "--json")


def test_a_full_disk_names_the_output(tmp_path, monkeypatch):
    import errno

    (target := tmp_path / "r.json").write_text("old")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(OutputError, match=r"r\.json: cannot write it \(No space left on device\)"):
        write_text(target, "new")
    with (
        pytest.raises(OutputError, match=r"model: cannot write it"),
        atomic_dir(tmp_path / "model"),
    ):
        full()
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]
