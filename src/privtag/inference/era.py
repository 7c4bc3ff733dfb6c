"""Whether a policy reads as written under today's privacy laws (GDPR, CCPA and their kin).

A threshold profile fitted on current policies (``privtag tune --profile``) helps them and
costs policies like OPP-115's (written about 2015) several points of F1
(``benchmarks/RESULTS.md``, "Threshold profiles"). A whole policy says which kind it is:
the terms below came into privacy policies with the GDPR (in force May 2018), the CCPA
(2020) and the EU-US Privacy Shield (2016). Measured by ``python benchmarks/bench_era.py``:
none of the 95 OPP-115 policies and none of the 10 dated versions older than May 2018
uses one; 89 of the 138 later versions and 218 of the 260 current Open Terms Archive
policies do. A policy that uses none keeps the tuned thresholds, so a miss costs nothing
against deciding without the rule.

Terms that older policies also used were left out: "controller", "portability" and
"European Economic Area" appear in OPP-115 policies.

Example:
    >>> gdpr_era_terms("We rely on our legitimate interests (Art. 6 GDPR).")
    ['GDPR', 'legitimate interest']
    >>> gdpr_era_terms("We may share your information with our affiliates.")
    []
"""

from __future__ import annotations

import re

__all__ = ["ERA_TERMS", "gdpr_era_terms"]

#: Name shown to the user, and the pattern (case-insensitive, whole words) that finds it.
ERA_TERMS: dict[str, str] = {
    "GDPR": r"GDPR",
    "General Data Protection Regulation": r"general\s+data\s+protection\s+regulation",
    "CCPA": r"CCPA|california\s+consumer\s+privacy\s+act",
    "CPRA": r"CPRA|california\s+privacy\s+rights\s+act",
    "LGPD": r"LGPD",
    "legitimate interest": r"legitimate\s+interests?",
    "legal basis": r"lawful\s+bas[ie]s|legal\s+bas[ie]s",
    "data protection officer": r"data\s+protection\s+officers?",
    "supervisory authority": r"supervisory\s+authorit(?:y|ies)",
    "right to erasure": r"right\s+to\s+(?:erasure|be\s+forgotten)",
    "Privacy Shield": r"privacy\s+shield",
    "standard contractual clauses": r"standard\s+contractual\s+clauses",
}


def _initials(pattern: str) -> set[str]:
    """The letters a match of ``pattern`` can start with (its top-level alternatives')."""
    depth, starts = 0, [0]
    for i, ch in enumerate(pattern):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "|" and depth == 0:
            starts.append(i + 1)
    first = [pattern[i] for i in starts]
    optional = any(pattern[i + 1 : i + 2] in ("?", "*", "{") for i in starts)
    if optional or not all(ch.isalpha() for ch in first):
        # the look-ahead would skip matches that start past an optional first letter
        raise ValueError(
            f"era term pattern {pattern!r}: each alternative must start with a required letter"
        )
    return {c for ch in first for c in (ch.lower(), ch.upper())}


# One pass over the text. Each alternative is a plain word sequence, so matching is linear;
# the look-ahead on the terms' first letters lets the engine skip most positions at once
# (about 3 times as fast as trying every alternative everywhere).
_FIND = re.compile(
    "(?=["
    + "".join(sorted(set().union(*map(_initials, ERA_TERMS.values()))))
    + "])(?:"
    + "|".join(f"(?P<t{i}>\\b(?:{p})\\b)" for i, p in enumerate(ERA_TERMS.values()))
    + ")",
    re.IGNORECASE,
)
_NAMES = list(ERA_TERMS)


def gdpr_era_terms(text: str) -> list[str]:
    """The :data:`ERA_TERMS` that ``text`` uses, in the order of that table.

    Args:
        text: a whole policy (a sentence alone rarely says when it was written).

    Returns:
        Term names; empty when the text reads as older than the GDPR.
    """
    found = {int(m.lastgroup[1:]) for m in _FIND.finditer(text)}
    return [_NAMES[i] for i in sorted(found)]
