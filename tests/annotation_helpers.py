"""Helpers shared by the annotation and data tests: the small fixture set and writers."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

SMALL = Path(__file__).resolve().parent / "fixtures" / "data_small"
ACME = SMALL / "annotations" / "acme.jsonl"


def acme_rows() -> list[dict]:
    """The records of the fixture policy ``acme``."""
    return [json.loads(x) for x in ACME.read_text().splitlines()]


def write_jsonl(tmp_path: Path, rows: list, name: str = "acme.jsonl") -> Path:
    """Rows (dicts, or raw strings written as is) in tmp/annotations/, policies in tmp/policies/."""
    shutil.copytree(SMALL / "policies", tmp_path / "policies", dirs_exist_ok=True)
    (tmp_path / "annotations").mkdir(exist_ok=True)
    path = tmp_path / "annotations" / name
    lines = [r if isinstance(r, str) else json.dumps(r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def only(problems: list[str], where: str) -> str:
    """The single problem starting with ``where`` (FILE:LINE: field)."""
    hits = [p for p in problems if p.startswith(where)]
    assert len(hits) == 1, problems
    return hits[0]
