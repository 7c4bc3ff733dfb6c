"""Small inputs for tests of the classifier and its weight files (tests/inference)."""

from __future__ import annotations

import numpy as np
import torch

from privtag.inference.encoding import encode
from privtag.labels import LABEL2ID, NUM_LABELS

TEXTS = [
    ("We collect your e-mail address.", ["First Party Collection/Use"]),
    ("We share it with advertisers.", ["Third Party Sharing/Collection"]),
    ("You can opt out at any time.", ["User Choice/Control"]),
    ("We keep logs for a year and encrypt them.", ["Data Retention", "Data Security"]),
]


def batch(tokenizer, units, context="none", max_length=48):
    """Padded tensors (ids, mask, types) for ``units`` (one window each)."""
    enc = encode(tokenizer, units, context=context, max_length=max_length)
    assert len(enc) == len(units)
    width = max(map(len, enc.input_ids))
    ids = torch.zeros((len(enc), width), dtype=torch.long)
    types, mask = torch.zeros_like(ids), torch.zeros_like(ids)
    for r, (x, t) in enumerate(zip(enc.input_ids, enc.token_type_ids, strict=True)):
        ids[r, : len(x)], types[r, : len(x)], mask[r, : len(x)] = (
            torch.tensor(x),
            torch.tensor(t),
            1,
        )
    return ids, mask, types


def multi_hot(label_lists):
    y = torch.zeros((len(label_lists), NUM_LABELS))
    for i, names in enumerate(label_lists):
        y[i, [LABEL2ID[n] for n in names]] = 1
    return y


def logits_of(model, inputs):
    ids, mask, types = inputs
    with torch.no_grad():
        return model(input_ids=ids, attention_mask=mask, token_type_ids=types).logits


def max_diff(a, b) -> float:
    return float(np.abs(np.asarray(a) - np.asarray(b)).max())
