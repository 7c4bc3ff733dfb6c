"""privtag batch: inputs, rows at three levels, errors, resume after a kill, --diff-against.

The tagger is the keyword baseline (``--model rules``): deterministic and fast, and it
goes through the same rows, sink and engines as the fine-tuned model.
"""

from __future__ import annotations

import functools
import gzip
import json
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from privtag.batch import LocalEngine, batch
from privtag.batch.sources import BatchInputs
from privtag.batch.taggers import SystemTagger, load_tagger
from privtag.cli import app
from privtag.errors import DataError, ModelLoadError, OutputError, PolicyReadError
from privtag.evaluation.baselines import RuleTagger
from privtag.labels import LABEL_IDS

POLICIES = Path(__file__).resolve().parents[2] / "data" / "policies"
RULES = functools.partial(load_tagger, "rules")
QUIET = LocalEngine(progress=False)


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def write_records(path: Path, texts: dict[str, str]) -> Path:
    with gzip.open(path, "wt", encoding="utf-8") as f:
        for pid, text in texts.items():
            f.write(json.dumps({"id": pid, "text": text, "source": "test"}) + "\n")
    return path


@pytest.fixture
def records(tmp_path) -> Path:
    texts = {
        f"p{i}": f"# Policy {i}\n\nWe collect your e-mail address. We share it with "
        f"advertisers.\n\nWe keep it for {i} days. Contact privacy{i}@example.org."
        for i in range(6)
    }
    return write_records(tmp_path / "records.jsonl.gz", texts)


def test_sentence_rows_have_the_documented_columns_and_record_text_is_never_a_path(
    tmp_path, records
):
    # a record whose text names an existing file must be tagged as text, not read
    (tmp_path / "notes.md").write_text("We sell your data to brokers.", encoding="utf-8")
    extra = write_records(tmp_path / "extra.jsonl.gz", {"tricky": str(tmp_path / "notes.md")})
    result = batch([records, extra], tmp_path / "out.parquet", model="rules", engine=QUIET)
    df = pd.read_parquet(tmp_path / "out.parquet")
    assert list(df.columns[:8]) == [
        "policy_id",
        "sentence_id",
        "paragraph_id",
        "section",
        "start",
        "end",
        "source_start",
        "source_end",
    ]
    assert "third_party" in df.columns and "contact" in df.columns
    # a row's source span finds its sentence in the record as given (Markdown markup kept)
    source = "# Policy 1\n\nWe collect your e-mail address. We share it with advertisers."
    row = df[(df.policy_id == "p1") & (df.sentence_id == "s1")].iloc[0]
    assert source[row.source_start : row.source_end] == row.text
    assert result.stats.policies == 7 and result.stats.errors == 0
    p0 = df[df.policy_id == "p0"]
    assert p0.text.tolist()[1] == "We collect your e-mail address."
    assert "Third Party Sharing/Collection" in p0.labels.tolist()[2]
    assert df[df.policy_id == "tricky"].text.tolist() == [str(tmp_path / "notes.md")]


def test_paragraph_and_policy_levels(tmp_path, records):
    batch([records], tmp_path / "para.parquet", model="rules", level="paragraph", engine=QUIET)
    para = pd.read_parquet(tmp_path / "para.parquet")
    assert "sentence_id" not in para.columns
    assert len(para[para.policy_id == "p1"]) == 3  # heading, collect+share, keep+contact
    batch([records], tmp_path / "pol.jsonl", model="rules", level="policy", engine=QUIET)
    rows = [json.loads(x) for x in (tmp_path / "pol.jsonl").read_text().splitlines()]
    assert [r["policy_id"] for r in rows] == [f"p{i}" for i in range(6)]
    assert rows[0]["third_party"] == 1 and rows[0]["third_party_not_addressed"] is False
    assert rows[0]["do_not_track_not_addressed"] is True
    assert "Third Party Sharing/Collection" in rows[0]["labels"]
    assert not (tmp_path / ".pol.jsonl.parts").exists()  # parts removed once joined


def test_folder_with_bad_files_logs_errors_and_exits_0(tmp_path):
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "blob.html").write_bytes(bytes(range(256)) * 8)
    (folder / "empty.md").write_text("")
    (folder / "good.md").write_text("We share your e-mail with advertisers.\n")
    (folder / "image.png").write_bytes(b"\x89PNG")  # not a policy extension: reported
    (folder / ".DS_Store").write_bytes(b"\0")  # hidden: passed over
    (folder / ".git").mkdir()
    (folder / ".git" / "config").write_text("[core]")
    out = tmp_path / "out.csv"
    result = run("batch", folder, "--model", "rules", "-o", out, "--no-progress")
    assert result.exit_code == 0, result.output
    assert "1 policy tagged" in result.output and "3 errors" in result.output
    assert set(pd.read_csv(out).policy_id) == {str(folder / "good.md")}
    errors = pd.read_csv(tmp_path / "out.errors.csv")
    assert sorted(Path(p).name for p in errors.path) == ["blob.html", "empty.md", "image.png"]
    assert all(errors.reason.str.len() > 10)
    assert "a .png file, not a policy" in errors.reason[errors.path.str.endswith("png")].item()
    strict = run("batch", folder, "--model", "rules", "-o", tmp_path / "s.csv", "--strict")
    assert strict.exit_code != 0
    assert isinstance(strict.exception, PolicyReadError)
    assert "--strict" in str(strict.exception)


def test_a_list_whose_first_entry_is_missing_is_still_a_list(tmp_path):
    listing = tmp_path / "list.txt"
    listing.write_text(f"gone/a.html\n{POLICIES / 'zarget.md'}\nalso-gone.md\n")
    items = list(BatchInputs([listing]))
    assert [Path(i.id).name for i in items] == ["a.html", "zarget.md", "also-gone.md"]
    assert [i.error is None for i in items] == [False, True, False]
    assert "no such file or folder" in items[0].error
    # comments, an entry with a space or another extension, a list whose files all moved
    listing.write_text(f"# to tag\n{POLICIES / 'zarget.md'}\nmy policy.txt\nnotes.pdf\n")
    items = list(BatchInputs([listing]))
    assert [Path(i.id).name for i in items] == ["zarget.md", "my policy.txt", "notes.pdf"]
    assert [i.error is None for i in items] == [True, False, False]
    listing.write_text("moved/a.md\nmoved/b.html\n")
    assert all("no such file" in i.error for i in BatchInputs([listing]))
    # a policy that names a file in a sentence, or has a heading named like a folder, is a policy
    (tmp_path / "Security").mkdir()
    listing.write_text(f"Read {POLICIES / 'zarget.md'} first.\nSecurity\nWe keep logs.\n")
    assert [i.id for i in BatchInputs([listing])] == [str(listing)]


def test_an_empty_folder_is_reported(tmp_path):
    (tmp_path / "none").mkdir()
    items = list(BatchInputs([tmp_path / "none"]))
    assert len(items) == 1 and "an empty folder" in items[0].error


def test_diff_against_is_checked_before_any_tagging(tmp_path):
    def factory():  # a tagger would be made only once tagging starts
        raise AssertionError("tagging started")

    for bad, words in [
        (tmp_path / "missing.parquet", "no such file or folder"),
        (tmp_path / "notes.csv", "not a privtag batch output"),
        (tmp_path / "emptydir", "holds no Parquet rows"),
    ]:
        if bad.suffix == ".csv":
            bad.write_text("a,b\n1,2\n")
        elif not bad.suffix:
            bad.mkdir()
        with pytest.raises(DataError, match=words):
            batch(
                [POLICIES / "zarget.md"],
                tmp_path / "o.csv",
                tagger_factory=factory,
                diff_against=bad,
            )
        assert not (tmp_path / "o.csv").exists()


def test_list_of_paths_and_bad_records(tmp_path):
    listing = tmp_path / "list.txt"
    listing.write_text(f"{POLICIES / 'zarget.md'}\n\nmissing.md\n", encoding="utf-8")
    records = tmp_path / "r.jsonl"
    records.write_text('{"id": "a", "text": "We use cookies."}\nnot json\n{"id": "b"}\n')
    items = list(BatchInputs([listing, records]))
    assert [i.id for i in items][:2] == [str(POLICIES / "zarget.md"), str(tmp_path / "missing.md")]
    assert [i.error is None for i in items] == [True, False, True, False, False]
    assert items[1].error.startswith(f"{listing}:3: {tmp_path / 'missing.md'}: no such file")
    assert "invalid JSON (Expecting value at column 1)" in items[3].error
    assert "no 'text'" in items[4].error
    with pytest.raises(PolicyReadError, match=r"nope\.md: no such file"):
        BatchInputs([tmp_path / "nope.md"])


# resume: a tagger that stops the process (KeyboardInterrupt) after some policies
STOP = {"after": None, "tagged": []}


def _stopping_tagger():
    inner = SystemTagger(RuleTagger())

    class Stopping:
        def tag(self, source):
            if STOP["after"] is not None and len(STOP["tagged"]) >= STOP["after"]:
                raise KeyboardInterrupt
            STOP["tagged"].append(source)
            return inner.tag(source)

    return Stopping()


def test_resume_after_a_kill_skips_finished_policies(tmp_path, records):
    out = tmp_path / "out.parquet"
    engine = LocalEngine(part_policies=2, progress=False)
    STOP.update(after=3, tagged=[])
    with pytest.raises(KeyboardInterrupt):
        batch([records], out, engine=engine, tagger_factory=_stopping_tagger)
    # the first two policies were committed as one part; the third was lost with the kill
    assert len(list(out.glob("part-*.parquet"))) == 1
    STOP.update(after=None, tagged=[])
    result = batch([records], out, engine=engine, tagger_factory=_stopping_tagger)
    assert result.resumed and result.stats.skipped == 2 and result.stats.policies == 4
    assert len(STOP["tagged"]) == 4  # the two finished policies were not tagged again
    fresh = batch([records], tmp_path / "fresh.parquet", model="rules", engine=QUIET)
    assert fresh.stats.policies == 6
    pd.testing.assert_frame_equal(pd.read_parquet(out), pd.read_parquet(tmp_path / "fresh.parquet"))
    # another level is another run: refused without --force, restarted with it
    with pytest.raises(OutputError, match="--force"):
        batch([records], out, model="rules", level="policy", engine=QUIET)
    again = batch([records], out, model="rules", level="policy", engine=QUIET, force=True)
    assert not again.resumed and len(pd.read_parquet(out)) == 6


def test_an_interrupted_command_says_its_work_is_kept_and_how_to_resume(tmp_path, monkeypatch):
    import privtag.batch

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(privtag.batch, "batch", interrupted)
    folder = _policies(tmp_path / "pol")
    r = run("batch", folder, "-o", tmp_path / "o.parquet", "--model", "rules")
    assert r.exit_code == 130
    assert f"interrupted; the policies done so far are kept in {tmp_path / 'o.parquet'}" in r.output
    assert "run the same command to resume" in r.output
    # CSV rows wait in a hidden folder; after --force, running it again would start over
    r = run("batch", folder, "-o", tmp_path / "o.csv", "--model", "rules", "--force")
    assert f"kept in {tmp_path / '.o.csv.parts'}" in r.output
    assert "run the same command without --force to resume" in r.output


def test_never_writes_over_an_input(tmp_path, records):
    with pytest.raises(OutputError, match="input"):
        batch([tmp_path], tmp_path / "out.parquet", model="rules", engine=QUIET)


def test_diff_against_an_earlier_run(tmp_path, records):
    old = tmp_path / "old.parquet"
    batch([records], old, model="rules", engine=QUIET)
    texts = {
        f"p{i}": f"# Policy {i}\n\nWe collect your e-mail address.\n\nWe keep it for {i} days."
        for i in range(6)
    }
    texts["p9"] = "We use cookies."
    newer = write_records(tmp_path / "newer.jsonl.gz", texts)
    result = batch([newer], tmp_path / "new.parquet", model="rules", engine=QUIET, diff_against=old)
    comp = result.comparison
    assert (comp.compared, comp.only_old, comp.only_new) == (6, 0, 1)
    assert comp.by_label["Third Party Sharing/Collection"] == 6
    assert comp.by_label["Privacy contact information"] == 6
    assert comp.by_label["Data Retention"] == 0
    changes = pd.read_parquet(tmp_path / "new.changes.parquet")
    assert set(changes.change) == {"not addressed"}
    # the changes table is named after --out, so a clash is --out's, not --diff-against's
    (tmp_path / "other.changes.parquet").write_bytes(b"kept")
    with pytest.raises(OutputError, match=r"^--out \S*other\.parquet: its changes table ") as e:
        batch([newer], tmp_path / "other.parquet", model="rules", engine=QUIET,
              diff_against=old)  # fmt: skip
    assert "other.changes.parquet already exists; pass --force" in str(e.value)


def test_missing_ray_names_the_extra(monkeypatch):
    import sys

    from privtag.batch.ray_engine import require_ray
    from privtag.errors import MissingExtraError

    monkeypatch.setitem(sys.modules, "ray", None)
    with pytest.raises(MissingExtraError, match=r"privtag\[scale\]"):
        require_ray()


@pytest.mark.slow  # starting a local Ray takes 20-60 s on a busy 2-core machine
def test_ray_engine_gives_the_local_engine_rows(tmp_path, records):
    pytest.importorskip("ray.data")
    from privtag.batch.ray_engine import RayEngine

    files = tmp_path / "files"
    files.mkdir()
    for name in ("zarget.md", "trustzone.md"):
        (files / name).write_text((POLICIES / name).read_text(encoding="utf-8"))
    (files / "empty.md").write_text("")
    inputs = [records, files]
    local = batch(inputs, tmp_path / "local.parquet", model="rules", engine=QUIET, limit=5)
    ray = RayEngine(actors=2, batch_size=2, progress=False)
    remote = batch(inputs, tmp_path / "ray.parquet", model="rules", engine=ray, limit=9)
    assert local.stats.policies == 5 and remote.stats.policies == 8
    assert remote.stats.errors == 1  # empty.md, logged by the actor like the local engine
    key = ["policy_id", "sentence_id"]
    a = pd.read_parquet(tmp_path / "local.parquet").sort_values(key, ignore_index=True)
    b = pd.read_parquet(tmp_path / "ray.parquet").sort_values(key, ignore_index=True)
    pd.testing.assert_frame_equal(a, b[b.policy_id.isin(set(a.policy_id))].reset_index(drop=True))
    # the same run resumed by the other engine: nothing left to do
    again = batch(inputs, tmp_path / "ray.parquet", model="rules", engine=QUIET, limit=9)
    assert again.resumed and again.stats.skipped == 9 and again.stats.policies == 0


def test_a_threshold_profile_needs_a_fine_tuned_model():
    with pytest.raises(ModelLoadError, match="--thresholds modern needs a fine-tuned model"):
        load_tagger("rules", thresholds="modern")


def test_auto_and_default_are_a_baselines_own_thresholds():
    for name in ("auto", "default", None):
        assert load_tagger("rules", thresholds=name) is not None


def _policy_table(profiles: dict, with_profile: bool = True):
    from privtag.batch.rows import to_table

    rows = []
    for pid, profile in profiles.items():
        row = {"policy_id": pid, "sentences": 1, "paragraphs": 1, "chars": 10, "labels": []}
        for lid in LABEL_IDS:
            row[lid] = 0
            row[f"{lid}_not_addressed"] = True
        rows.append({**row, "profile": profile} if with_profile else row)
    table = to_table(rows, "policy")
    return table if with_profile else table.drop_columns(["profile"])


def test_comparing_runs_says_when_a_policy_was_decided_at_other_thresholds(tmp_path):
    import pyarrow.parquet as pq

    from privtag.batch.compare import compare_runs

    old, new, older = tmp_path / "old.parquet", tmp_path / "new.parquet", tmp_path / "x.parquet"
    pq.write_table(_policy_table({"a": "default", "b": "default"}), old)
    pq.write_table(_policy_table({"a": "default", "b": "modern-balanced"}), new)
    pq.write_table(_policy_table({"a": None, "b": None}, with_profile=False), older)
    comp = compare_runs(old, new)
    assert comp.other_profile == 1 and not comp.changes
    assert "1 of the compared policies was decided with different threshold profiles" in (
        comp.to_text()
    )
    assert compare_runs(old, old).other_profile == 0
    assert "note:" not in compare_runs(old, old).to_text()
    unknown = compare_runs(older, new)  # a run written before outputs recorded profiles
    assert unknown.other_profile is None and "does not record its threshold profiles" in (
        unknown.to_text()
    )


def test_a_lone_surrogate_in_a_record_is_replaced_not_fatal(tmp_path):
    records = tmp_path / "r.jsonl"
    records.write_text(
        '{"id": "\\udc00bad", "text": "We keep data \\ud800 for a year."}\n'
        '{"id": "ok", "text": "We share your e-mail with advertisers."}\n'
    )
    out = tmp_path / "o.csv"
    result = run("batch", records, "--model", "rules", "-o", out, "--no-progress")
    assert result.exit_code == 0, result.output
    assert "2 policies tagged" in result.output and "0 errors;" in result.output
    assert "errors.csv" not in result.output  # no errors table to point to
    rows = pd.read_csv(out)
    assert set(rows.policy_id) == {"\ufffdbad", "ok"}


def test_a_run_that_is_not_resumed_says_which_setting_differs(tmp_path):
    out = tmp_path / "o.parquet"
    first = run("batch", POLICIES / "zarget.md", "--model", "rules", "-o", out, "--no-progress")
    assert first.exit_code == 0, first.output
    other = run("batch", POLICIES / "zarget.md", "--model", "rules", "-o", out, "--level", "policy")
    assert isinstance(other.exception, OutputError)
    assert "is not empty; pass --force" in str(other.exception)
    assert "other settings, so it is not resumed: level sentence, not policy" in str(
        other.exception
    )


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_a_finished_csv_or_jsonl_run_says_it_is_final(tmp_path, suffix):
    # rerunning it (or with a larger --limit) said only "already exists": Parquet resumes
    folder = _policies(tmp_path / "in", 3)
    out = tmp_path / f"o{suffix}"
    batch([folder], out, model="rules", engine=QUIET, limit=2)
    with pytest.raises(OutputError, match=r"finished run's: a .* run is final.*write \.parquet"):
        batch([folder], out, model="rules", engine=QUIET, limit=3)
    # an input named as the output is told only that
    with pytest.raises(OutputError, match="is an input") as e:
        batch([out], out, model="rules", engine=QUIET)
    assert "final" not in str(e.value)
    grown = tmp_path / "o.parquet"
    batch([folder], grown, model="rules", engine=QUIET, limit=2)
    assert batch([folder], grown, model="rules", engine=QUIET, limit=3).stats.policies == 1


def _policies(folder: Path, n: int = 3) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        (folder / f"p{i}.txt").write_text(f"We keep your data for {i} days.\n", encoding="utf-8")
    return folder


def test_a_resumed_run_skips_what_it_did_however_the_folder_is_spelt(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _policies(tmp_path / "c2")
    out = tmp_path / "dup.parquet"
    batch(["c2"], out, model="rules", engine=QUIET)
    again = batch([str(tmp_path / "c2")], out, model="rules", engine=QUIET)
    assert again.resumed and again.stats.skipped == 3 and again.stats.policies == 0
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    third = batch(["../c2"], out, model="rules", engine=QUIET)
    assert third.stats.skipped == 3
    assert len(pd.read_parquet(out).drop_duplicates("policy_id")) == 3


def test_a_resumed_run_names_inputs_that_changed_or_went_away_since_they_were_tagged(tmp_path):
    folder = _policies(tmp_path / "pol")
    out = tmp_path / "o.parquet"  # a finished Parquet run stays resumable (and extendable)
    batch([folder], out, model="rules", engine=QUIET)
    edited, gone = folder / "p1.txt", folder / "p2.txt"
    edited.write_text("We sell your data to brokers and keep it forever.\n", encoding="utf-8")
    gone.unlink()
    r = run("batch", folder, "-o", out, "--model", "rules", "--no-progress")
    assert r.exit_code == 0, r.output
    assert f"{edited.resolve()}: changed since this run tagged it" in r.output
    assert f"{gone.resolve()}: gone since this run tagged it" in r.output
    assert "2 of them changed or gone since they were tagged" in r.output
    notes = pd.read_parquet(tmp_path / "o.warnings.parquet")
    assert sorted(Path(p).name for p in notes["path"]) == ["p1.txt", "p2.txt"]
    # each names the policy id its rows carry
    assert sorted(notes["policy_id"]) == sorted(str(folder / n) for n in ("p1.txt", "p2.txt"))
    # a file touched or copied over with the same text has not changed
    import os

    os.utime(folder / "p0.txt", ns=(1, 1))
    touched = batch([folder], out, model="rules", engine=QUIET)
    assert len(touched.stale) == 2 and not any("p0.txt" in w for w in touched.stale)
    # an untouched resumed run says nothing of the kind; --force tags afresh
    fresh = batch([folder], out, model="rules", engine=QUIET, force=True)
    assert fresh.stale == [] and fresh.stats.policies == 2
    again = batch([folder], out, model="rules", engine=QUIET)
    assert again.resumed and again.stale == []


def test_a_resumed_run_tries_failed_inputs_again_but_not_duplicates(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    folder = _policies(tmp_path / "pol", 2)
    (folder / "bad.txt").write_text("", encoding="utf-8")  # empty: an error
    out = tmp_path / "o.parquet"
    # the same folder named twice: its policies again are duplicates, never retried
    first = batch(["pol", str(folder)], out, model="rules", engine=QUIET)
    assert first.stats.errors == 4 and first.stats.policies == 2
    (folder / "bad.txt").write_text("We sell your data to brokers.\n", encoding="utf-8")
    again = batch(["pol", str(folder)], out, model="rules", engine=QUIET)
    assert again.resumed and again.stats.policies == 1 and again.stats.errors == 0
    assert again.stale == []  # a retried file is not "changed since tagged": it had no rows
    rows = pd.read_parquet(out)
    assert sorted(rows.drop_duplicates("policy_id")["policy_id"]) == [
        "pol/bad.txt",
        "pol/p0.txt",
        "pol/p1.txt",
    ]
    errors = pd.read_parquet(tmp_path / "o.errors.parquet")
    assert len(errors) == 3 and errors["reason"].str.contains("duplicate").all()
    # the same again, resumed from another folder: the failed file is still retried
    (folder / "bad2.txt").write_text("", encoding="utf-8")
    again = batch(["pol"], tmp_path / "o2.parquet", model="rules", engine=QUIET)
    assert again.stats.errors == 1
    (folder / "bad2.txt").write_text("We keep logs.\n", encoding="utf-8")
    monkeypatch.chdir(folder)
    moved = batch([str(folder)], tmp_path / "o2.parquet", model="rules", engine=QUIET)
    assert moved.resumed and moved.stats.policies == 1 and moved.stats.errors == 0
    assert len(pd.read_parquet(tmp_path / "o2.errors.parquet")) == 0


def test_a_failed_input_listed_twice_leaves_one_duplicate_row_after_it_is_fixed(tmp_path):
    folder = _policies(tmp_path / "pol", 1)
    (folder / "bad.txt").write_text("", encoding="utf-8")
    listing = tmp_path / "list.txt"
    listing.write_text(f"{folder / 'bad.txt'}\n{folder / 'p0.txt'}\n{folder / 'bad.txt'}\n")
    out = tmp_path / "o.parquet"
    batch([listing], out, model="rules", engine=QUIET)
    (folder / "bad.txt").write_text("We keep logs.\n", encoding="utf-8")
    for _ in range(2):  # resumed twice: the duplicate's row does not pile up
        batch([listing], out, model="rules", engine=QUIET)
        reasons = pd.read_parquet(tmp_path / "o.errors.parquet")["reason"].tolist()
        assert len(reasons) == 1 and "duplicate" in reasons[0]


def test_a_folder_walk_names_what_it_cannot_read(tmp_path):
    import os

    folder = _policies(tmp_path / "pol", 1)
    (folder / "broken.txt").symlink_to(tmp_path / "nowhere.txt")
    os.mkfifo(folder / "fifo.txt")
    result = batch([folder], tmp_path / "o.csv", model="rules", engine=QUIET)
    errors = pd.read_csv(tmp_path / "o.errors.csv")
    reasons = dict(zip(errors["path"].map(lambda p: Path(p).name), errors["reason"], strict=True))
    assert "a link to nothing" in reasons["broken.txt"]
    assert "not a regular file" in reasons["fifo.txt"]
    assert result.stats.policies == 1 and result.stats.errors == 2


def test_a_missing_input_is_an_error_row_and_the_rest_is_tagged(tmp_path):
    folder = _policies(tmp_path / "pol", 2)
    result = run("batch", folder, tmp_path / "nosuchdir", "--model", "rules", "-o",
                 tmp_path / "o.csv", "--no-progress")  # fmt: skip
    assert result.exit_code == 0, result.output
    errors = pd.read_csv(tmp_path / "o.errors.csv")
    assert errors["reason"].str.contains("nosuchdir: no such file or folder").any()
    assert "2 policies tagged" in result.output
    only_missing = run(
        "batch", tmp_path / "nosuchdir", "--model", "rules", "-o", tmp_path / "x.csv"
    )
    assert only_missing.exit_code != 0 and not (tmp_path / "x.csv").exists()


def test_a_run_that_tags_nothing_exits_1(tmp_path):
    (tmp_path / "empty.txt").write_text("", encoding="utf-8")
    (tmp_path / "bin.txt").write_bytes(b"\x00\x01\x02" * 10)
    result = run("batch", tmp_path / "empty.txt", tmp_path / "bin.txt", "--model", "rules",
                 "-o", tmp_path / "o.csv", "--no-progress")  # fmt: skip
    assert result.exit_code == 1 and "none of the 2 inputs could be tagged" in result.output


def test_an_input_named_in_a_list_is_never_the_output_even_with_force(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _policies(tmp_path / "c2", 1)
    recs = write_records(tmp_path / "vendors.jsonl", {"v": "We sell data."})
    before = recs.read_bytes()
    (tmp_path / "sources.txt").write_text("c2/p0.txt\nvendors.jsonl\n", encoding="utf-8")
    with pytest.raises(OutputError, match="is an input of this command"):
        batch(["sources.txt"], "vendors.jsonl", model="rules", engine=QUIET, force=True)
    assert recs.read_bytes() == before


def test_two_snapshot_folders_are_compared_by_the_end_of_their_paths(tmp_path):
    old_dir, new_dir = tmp_path / "snap" / "2024-01", tmp_path / "snap" / "2024-06"
    _policies(old_dir, 2)
    _policies(new_dir, 2)
    (new_dir / "p1.txt").write_text("We share your data with advertisers.\n", encoding="utf-8")
    batch([old_dir], tmp_path / "v1.parquet", model="rules", engine=QUIET)
    result = batch([new_dir], tmp_path / "v2.parquet", model="rules", engine=QUIET,
                   diff_against=tmp_path / "v1.parquet")  # fmt: skip
    comp = result.comparison
    assert (comp.compared, comp.only_old, comp.only_new) == (2, 0, 0)
    assert comp.matched_by == "the end of their paths"
    assert "paired by the end of their paths" in comp.to_text()
    changes = pd.read_parquet(tmp_path / "v2.changes.parquet")
    assert set(changes.policy_id) == {str(new_dir / "p1.txt")}
    # nested folders, and a file only in one run
    from privtag.batch.compare import _pair_by_path

    assert _pair_by_path(
        ["s/2024-01/eu/a.txt", "s/2024-01/eu/b.txt", "s/2024-01/us/a.txt"],
        ["s/2024-06/eu/a.txt", "s/2024-06/us/c.txt", "s/2024-06/us/a.txt"],
    ) == [
        ("s/2024-01/eu/a.txt", "s/2024-06/eu/a.txt"),
        ("s/2024-01/us/a.txt", "s/2024-06/us/a.txt"),
    ]
    # records with ids that share nothing: nothing compared, and the text says so
    other = write_records(tmp_path / "r.jsonl.gz", {"zz": "We sell data."})
    none = batch([other], tmp_path / "v3.parquet", model="rules", engine=QUIET,
                 diff_against=tmp_path / "v1.parquet")  # fmt: skip
    assert none.comparison.compared == 0 and "nothing was compared" in none.comparison.to_text()


def test_what_a_reader_repaired_or_left_out_goes_to_the_warnings_table(tmp_path):
    folder = tmp_path / "w"
    folder.mkdir()
    links = " ".join(f"<a href=x>Link {i}</a>" for i in range(40))
    (folder / "p.html").write_text(
        f"<html><body><nav>{links}</nav><p>We collect your email.</p></body></html>"
    )
    (folder / "mixed.txt").write_bytes("Café policy. We keep your data".encode() + b"\x92s copy.\n")
    result = batch([folder], tmp_path / "o.csv", model="rules", engine=QUIET)
    notes = pd.read_csv(tmp_path / "o.warnings.csv")
    by_file = dict(zip(notes["path"].map(lambda p: Path(p).name), notes["warning"], strict=True))
    assert "left out as page furniture" in by_file["p.html"]
    assert "not UTF-8" in by_file["mixed.txt"]
    assert result.stats.warnings == 2 and "2 reader warnings" in result.summary()


def test_one_file_named_two_ways_in_a_run_is_tagged_once(tmp_path):
    folder = _policies(tmp_path / "c2", 2)
    result = batch([folder, str(folder / "p0.txt").replace("c2", "c2/../c2")],
                   tmp_path / "o.csv", model="rules", engine=QUIET)  # fmt: skip
    assert result.stats.policies == 2 and result.stats.errors == 1
    reasons = pd.read_csv(tmp_path / "o.errors.csv")["reason"]
    assert reasons.str.contains("duplicate of a policy read before").all()


def test_records_are_resumed_by_id_not_by_their_line():
    from privtag.batch.sources import input_key

    # the local engine names a record FILE:LINE and Ray FILE:ID: neither is a file key
    assert input_key("corpus.jsonl.gz:7") is None and input_key("x/c.JSONL:abc") is None
    assert input_key("a/../b.txt") == input_key("b.txt")


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_source_offsets_stay_integers_beside_an_html_policys_nulls(tmp_path, suffix):
    # an HTML page has no source offsets: pandas made the whole column float ("2.0")
    texts = {
        "md": "# Policy\n\nWe collect your e-mail address.",
        "page": "<html><body><h1>Policy</h1><p>We sell nothing.</p></body></html>",
    }
    out = tmp_path / f"out{suffix}"
    batch([write_records(tmp_path / "r.jsonl.gz", texts)], out, model="rules", engine=QUIET)
    if suffix == ".csv":
        rows = pd.read_csv(out, dtype=str, keep_default_na=False).to_dict(orient="records")
    else:
        rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    md = [r for r in rows if r["policy_id"] == "md"]
    page = [r for r in rows if r["policy_id"] == "page"]
    offsets = [(r["source_start"], r["source_end"]) for r in md][1]
    assert offsets == (("10", "41") if suffix == ".csv" else (10, 41))
    assert suffix == ".csv" or all(type(x) is int for x in offsets)  # 10.0 == 10 in Python
    assert all(r["source_start"] in ("", None) for r in page)


def test_a_run_that_tags_nothing_writes_no_output_and_the_same_run_can_be_tried_again(tmp_path):
    # an empty output file made the retry of the same command need --force
    bad = tmp_path / "empty.txt"
    bad.write_text("")
    out = tmp_path / "out.jsonl"
    for _ in range(2):  # the second run resumes the first: no OutputError
        result = batch([bad], out, model="rules", engine=QUIET)
        assert result.stats.policies == 0 and result.stats.errors == 1
        assert not out.exists() and "no output written" in result.summary()
    good = tmp_path / "p.md"
    good.write_text("# P\n\nWe sell nothing.", encoding="utf-8")
    # other inputs are another run, which replaces this one only with force, as always
    result = batch([bad, good], out, model="rules", engine=QUIET, force=True)
    assert result.stats.policies == 1 and out.exists() and "wrote" in result.summary()
    # and a run that replaces it (--force) but tags nothing leaves no output of the old
    # run beside its own errors, nor says it wrote one
    result = batch([bad], out, model="rules", engine=QUIET, force=True)
    assert not out.exists() and "no output written" in result.summary()


def test_a_file_name_that_is_not_utf8_is_tagged_under_a_printable_id(tmp_path):
    # a Latin-1 name (an old share, a zip) reached the table as lone surrogates: Arrow
    # raised UnicodeEncodeError, and the whole run stopped with a traceback
    import os

    folder = _policies(tmp_path / "pol", 1)
    odd = Path(os.fsdecode(bytes(folder) + b"/caf\xe9.txt"))
    odd.write_text("We collect your e-mail address.", encoding="utf-8")
    Path(os.fsdecode(bytes(folder) + b"/vid\xe9.txt")).write_text("")  # an error row
    out = tmp_path / "o.csv"
    result = run("batch", folder, "--model", "rules", "-o", out, "--no-progress")
    assert result.exit_code == 0, result.output
    ids = set(pd.read_csv(out)["policy_id"])
    assert len(ids) == 2 and any(i.endswith("caf\\xe9.txt") for i in ids), ids
    reasons = pd.read_csv(tmp_path / "o.errors.csv")["reason"]
    assert len(reasons) == 1 and "vid\\xe9.txt: " in reasons[0] and "no text" in reasons[0]


def test_a_csv_named_as_an_input_is_an_error_row_not_a_policy(tmp_path):
    # a manifest of paths, given whole, was tagged as one policy and the run exited 0
    folder = _policies(tmp_path / "pol", 1)
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(f"id,path\np0,{folder / 'p0.txt'}\n", encoding="utf-8")
    result = run("batch", manifest, "--model", "rules", "-o", tmp_path / "o.csv", "--no-progress")
    assert result.exit_code == 1 and "none of the 1 inputs could be tagged" in result.output
    reason = pd.read_csv(tmp_path / "o.errors.csv")["reason"][0]
    assert "manifest.csv: a .csv file, not a policy" in reason and "one a line" in reason


def test_a_record_that_cannot_be_tagged_is_named_by_its_line(tmp_path):
    records = write_records(tmp_path / "r.jsonl.gz", {"ok": "We sell nothing.", "e": "  "})
    out = tmp_path / "o.csv"
    batch([records], out, model="rules", engine=QUIET)
    reason = pd.read_csv(tmp_path / "o.errors.csv")["reason"][0]
    assert reason.startswith(f"{records}:2: ") and "<" not in reason, reason


def test_csv_cells_that_a_spreadsheet_would_run_are_inert_and_jsonl_keeps_them(tmp_path):
    policy = tmp_path / "p.txt"
    policy.write_text('=HYPERLINK("http://x.example","click") We collect email.\n')
    for suffix in (".csv", ".jsonl"):
        out = tmp_path / f"o{suffix}"
        batch([policy], out, model="rules", engine=QUIET)
        rows = pd.read_csv(out) if suffix == ".csv" else pd.read_json(out, lines=True)
        want = "'=HYPERLINK" if suffix == ".csv" else "=HYPERLINK"
        assert rows["text"][0].startswith(want), rows["text"][0]


def test_no_progress_bar_frames_when_stderr_is_not_a_terminal(tmp_path):
    folder = _policies(tmp_path / "pol", 2)
    result = run("batch", folder, "--model", "rules", "-o", tmp_path / "o.csv")
    assert result.exit_code == 0 and "2 policies tagged" in result.output
    assert "policies/s]" not in result.output and "\r" not in result.output, result.output
    shown = run("batch", folder, "--model", "rules", "-o", tmp_path / "p.csv", "--progress")
    assert "policies/s]" in shown.output  # asked for, it is drawn anyway
