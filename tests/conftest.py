"""Shared fixtures. Nothing here reaches the network: the hub is switched off for every test."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _opp115_dir() -> Path | None:
    d = Path(os.environ.get("PRIVTAG_OPP115", ROOT.parent / "shared" / "opp115"))
    return d if (d / "annotations").is_dir() and (d / "sanitized_policies").is_dir() else None


@pytest.fixture(scope="session")
def opp115_dir() -> Path:
    """The OPP-115 corpus directory; the test is skipped when it is not on this machine."""
    d = _opp115_dir()
    if d is None:
        pytest.skip(
            "OPP-115 not found at ../shared/opp115 (or $PRIVTAG_OPP115); it is research-only "
            "and never shipped with privtag, so tests that read it skip without it"
        )
    return d


@pytest.fixture(scope="session")
def root() -> Path:
    """The repository root."""
    return ROOT


@pytest.fixture(scope="session")
def fixtures() -> Path:
    """tests/fixtures: small files written for privtag's tests."""
    return FIXTURES
