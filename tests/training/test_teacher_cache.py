"""Teacher scores saved beside a run: read back for the same teacher and paragraphs only."""

from __future__ import annotations

import numpy as np

from privtag.training.paragraph_distill import teacher_scores
from privtag.training.teacher_cache import TeacherCache

PARAGRAPHS = [
    {"sentences": ["We collect your email.", "We share it."], "section": ["Data"]},
    {"sentences": ["You may opt out."], "section": []},
]


class CountingMember:
    """A teacher member that scores every sentence 0.25 and every paragraph 0.75."""

    def __init__(self):
        self.calls = 0

    def score_paragraphs(self, paragraphs):
        self.calls += 1
        n = sum(len(p["sentences"]) for p in paragraphs)
        return np.full((n, 12), 0.25, np.float32), np.full((len(paragraphs), 12), 0.75, np.float32)


def _members(monkeypatch):
    # teacher_scores treats TF-IDF members by their class: count calls through that path
    import privtag.training.paragraph_distill as pd

    member = CountingMember()
    monkeypatch.setattr(pd, "TfidfMember", CountingMember)
    return member


def test_a_resumed_run_reads_the_scores_and_anything_else_scores_again(monkeypatch, tmp_path):
    member = _members(monkeypatch)
    teacher = tmp_path / "teacher"
    teacher.mkdir()
    (teacher / "model.safetensors").write_bytes(b"weights")
    cache = TeacherCache(tmp_path / "fold0", "units", [str(teacher), "tfidf"])
    first = teacher_scores([member], PARAGRAPHS, cache)
    assert member.calls == 1 and cache.path.is_file()
    again = teacher_scores([member], PARAGRAPHS, cache)
    assert member.calls == 1  # read, not scored
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    # other paragraphs, another teacher, or the teacher's weights retrained: scored again
    teacher_scores([member], PARAGRAPHS[:1], cache)
    assert member.calls == 2
    teacher_scores([member], PARAGRAPHS[:1], TeacherCache(cache.directory, "units", ["tfidf"]))
    assert member.calls == 3
    teacher_scores([member], PARAGRAPHS[:1], cache)  # one file per name: the last one wins
    assert member.calls == 4
    teacher_scores([member], PARAGRAPHS[:1], cache)
    assert member.calls == 4
    (teacher / "model.safetensors").write_bytes(b"weights, trained again")
    teacher_scores([member], PARAGRAPHS[:1], cache)
    assert member.calls == 5


def test_a_cut_short_file_is_scored_again(monkeypatch, tmp_path):
    member = _members(monkeypatch)
    cache = TeacherCache(tmp_path, "corpus", ["tfidf"])
    cache.path.write_bytes(b"PK\x03\x04 cut short")
    sent, para = teacher_scores([member], PARAGRAPHS, cache)
    assert member.calls == 1 and sent.shape == (3, 12) and para.shape == (2, 12)
    assert cache.load(cache.digest(PARAGRAPHS)) is not None


def test_a_miss_reads_the_paragraphs_once(monkeypatch, tmp_path):
    # the corpus holds tens of thousands of paragraphs: hashing them twice on a miss cost time
    member = _members(monkeypatch)
    cache = TeacherCache(tmp_path, "corpus", ["tfidf"])
    teacher_scores([member], PARAGRAPHS[:1], cache)  # a file saved for other paragraphs
    calls = []
    digest = TeacherCache.digest
    monkeypatch.setattr(TeacherCache, "digest", lambda self, p: calls.append(1) or digest(self, p))
    teacher_scores([member], PARAGRAPHS, cache)
    assert member.calls == 2 and len(calls) == 1


def test_a_hit_loads_no_teacher(monkeypatch, tmp_path):
    # a resumed fold reads its scores: loading an mpnet teacher for them was wasted work
    member = _members(monkeypatch)
    cache = TeacherCache(tmp_path, "units", ["tfidf"])
    loads = []

    def load():
        loads.append(1)
        return [member]

    first = teacher_scores(load, PARAGRAPHS, cache)
    again = teacher_scores(load, PARAGRAPHS, cache)
    assert len(loads) == 1 and member.calls == 1
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
