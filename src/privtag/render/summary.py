"""What a policy says per label: addressed, weak evidence or not addressed, with quotes.

Shared by the HTML report and the web service's JSON, so a reader of either sees the
same verdicts. Pure functions of a :class:`~privtag.results.TaggedPolicy`; no torch.

Example:
    >>> rows = label_summary(policy, model_info(tagger))     # doctest: +SKIP
    >>> rows[1]["status"], rows[1]["evidence"][0]["score"]   # doctest: +SKIP
    ('addressed', 0.97)
"""

from __future__ import annotations

from privtag.errors import ArgumentError
from privtag.labels import LABEL_IDS, LABELS, NUM_LABELS

#: a label whose best sentence score lies this far or less below its threshold is
#: "weak evidence": a reader should look at that sentence rather than trust "not addressed"
WEAK_MARGIN = 0.1
#: evidence quotes shown per label
TOP_QUOTES = 3
#: threshold assumed when a result does not say which ones tagged it (Tagger's default)
DEFAULT_THRESHOLD = 0.5

STATUSES = ("addressed", "weak evidence", "not addressed")


def model_info(tagger) -> dict:
    """Name, versions, aggregation and per-label thresholds of a :class:`privtag.Tagger`.

    Returns:
        ``{"name", "privtag", "trained", "tuned", "aggregate", "profile", "thresholds"}``
        where ``thresholds`` is ``{"sentence": {label: t}, "paragraph": {label: t}}``, the
        thresholds in use for units of several sentences given alone (the threshold
        ``profile`` applied; under ``"auto"`` a tagged policy records its own, which
        :func:`describe` prefers, and a sentence alone may get the model's ``"alone"``
        profile).

    Example:
        >>> model_info(tagger)["thresholds"]["sentence"]["Data Security"]  # doctest: +SKIP
        0.71611
    """
    from privtag import __version__

    meta = tagger.metadata or {}
    return {
        "name": tagger.name,
        "privtag": __version__,
        "trained": meta.get("date"),
        "tuned": (meta.get("tuned") or {}).get("date"),
        "aggregate": tagger.settings.get("aggregate"),
        "profile": tagger.profile,
        "thresholds": by_label(
            dict(zip(("sentence", "paragraph"), tagger.decision_thresholds(), strict=True))
        ),
    }


def by_label(thresholds: dict) -> dict:
    """``{level: {label: threshold}}`` (4 places) of ``{level: 12 thresholds}``; a level
    without 12 values is left out."""
    return {
        level: {name: round(float(t), 4) for name, t in zip(LABELS, ts, strict=True)}
        for level, ts in thresholds.items()
        if len(ts) == NUM_LABELS
    }


def describe(model, policy=None) -> dict:
    """``model`` as a :func:`model_info` dict: a Tagger, such a dict already, or None.

    What the policy records of the decision that tagged it (set by
    :meth:`privtag.Tagger.tag`: its threshold profile and thresholds, which under the
    ``"auto"`` profile depend on the policy) replaces the model's. With None, the rest
    (name, aggregation) also comes from the policy; a policy built by hand records none,
    and the summary then assumes :data:`DEFAULT_THRESHOLD`.
    """
    meta = getattr(policy, "metadata", None) or {}
    recorded = by_label(meta.get("thresholds") or {})
    decided = {"profile": profile_text(meta), "thresholds": recorded} if recorded else {}
    if model is None:
        return {
            "name": getattr(policy, "model", "") or "unknown",
            "aggregate": meta.get("aggregate"),
            "profile": profile_text(meta),
            "thresholds": recorded,
        }
    if not isinstance(model, dict) and not hasattr(model, "thresholds"):
        raise ArgumentError(
            f"model must be the Tagger that tagged the policy (or its model_info dict, or "
            f"None), not {type(model).__name__}; load one with Tagger.from_pretrained(DIR)"
        )
    info = model if isinstance(model, dict) else model_info(model)
    return {**info, **decided}


def profile_text(meta: dict) -> str | None:
    """A tagged policy's threshold profile, and under ``"auto"`` why it was chosen.

    Example:
        >>> profile_text({"profile": "modern", "profile_chosen_by": {"gdpr_era_terms": ["GDPR"]}})
        'modern (auto: the policy names GDPR)'
    """
    profile, chosen = meta.get("profile"), meta.get("profile_chosen_by")
    if not chosen:
        return profile
    terms, pair = chosen.get("gdpr_era_terms") or [], chosen.get("versions_terms") or []
    if chosen.get("one_sentence"):  # decided as predict() decides a sentence alone
        why = "one sentence, decided as a sentence alone"
    elif terms:
        why = f"the policy names {', '.join(terms)}"
    elif pair:  # privtag diff decides two versions alike
        why = f"decided as the other version, which names {', '.join(pair)}"
    else:
        why = "no term of today's privacy laws"
    return f"{profile} (auto: {why})"


def sentence_threshold(info: dict, label: str) -> float:
    """The sentence threshold ``info`` gives ``label``, else :data:`DEFAULT_THRESHOLD`."""
    return float((info.get("thresholds") or {}).get("sentence", {}).get(label, DEFAULT_THRESHOLD))


def label_summary(
    policy, model=None, top: int = TOP_QUOTES, weak_margin: float = WEAK_MARGIN
) -> list[dict]:
    """One row per label (taxonomy order): its status, counts and strongest evidence.

    Args:
        policy: a :class:`~privtag.results.TaggedPolicy`.
        model: a Tagger or :func:`model_info` dict (for thresholds), or None.
        top: evidence quotes per label.
        weak_margin: see :data:`WEAK_MARGIN`.

    Returns:
        Dicts with ``label``, ``id``, ``status`` (one of :data:`STATUSES`), ``sentences``
        and ``paragraphs`` (how many carry the label), ``best_score``, ``threshold`` and
        ``evidence``: up to ``top`` ``{"sentence", "text", "score", "tagged"}``, strongest
        first. An addressed label quotes its tagged sentences (or, when only paragraphs
        carry it, the strongest sentences of those paragraphs); a weak one quotes the
        sentences that came closest; a label not addressed quotes nothing.
    """
    info = describe(model, policy)
    rows = []
    for name, lid in zip(LABELS, LABEL_IDS, strict=True):
        tagged = policy.with_label(name)
        paras = {p.index for p in policy.paragraphs if name in p.labels}
        ranked = sorted(policy.sentences, key=lambda s: -s.scores[name])
        best = ranked[0].scores[name] if ranked else 0.0
        threshold = sentence_threshold(info, name)
        if tagged or paras:
            status = "addressed"
            quotes = tagged or [s for s in ranked if s.paragraph in paras]
        elif ranked and best >= threshold - weak_margin:
            status = "weak evidence"
            quotes = [s for s in ranked if s.scores[name] >= threshold - weak_margin]
        else:
            status, quotes = "not addressed", []
        rows.append(
            {
                "label": name,
                "id": lid,
                "status": status,
                "sentences": len(tagged),
                "paragraphs": len(paras),
                "best_score": round(float(best), 4),
                "threshold": threshold,
                "evidence": [
                    {
                        "sentence": s.id,
                        "text": s.text,
                        "score": s.scores[name],
                        "tagged": name in s.labels,
                    }
                    for s in quotes[:top]
                ],
            }
        )
    return rows
