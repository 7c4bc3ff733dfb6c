"""Fixtures shared by the classifier's tests (test_model.py, test_weights.py)."""

from __future__ import annotations

import pytest
import torch
from transformers import AutoTokenizer

from classifier_helpers import TEXTS, batch
from privtag.inference.model import PrivtagClassifier


@pytest.fixture(scope="module")
def tokenizer(tiny_encoder):
    """The tiny encoder's tokenizer (the packaged MiniLM's)."""
    return AutoTokenizer.from_pretrained(tiny_encoder)


@pytest.fixture
def model(tiny_encoder):
    """A classifier on the tiny encoder with a fresh head (seeded), in eval mode."""
    torch.manual_seed(3)
    return PrivtagClassifier.from_base(tiny_encoder).eval()


@pytest.fixture
def inputs(tokenizer):
    """(ids, mask, types) of TEXTS."""
    return batch(tokenizer, [t for t, _ in TEXTS])
