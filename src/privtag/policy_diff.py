"""What changed between two versions of a policy, practice by practice.

:func:`diff` tags both versions (or takes them tagged), aligns their sentences and
reports per label: the sentences added and removed, the matched sentences whose label
changed (gained or lost: most are edited, some are the same text in a new context), and
the label's status in each version (addressed or not, :meth:`TaggedPolicy.addressed`).

Alignment, in three passes over whitespace- and case-normalised sentence texts:

1. exact, in order: the longest common subsequence of the two lists (``difflib``);
2. exact, out of order: a sentence moved elsewhere is the same sentence;
3. fuzzy: each remaining pair whose character similarity (``difflib`` ratio) reaches
   ``threshold`` is a candidate, and the most similar candidates are paired first, each
   sentence at most once. Pairs sharing under 40% of their words (Dice) are not scored,
   and an old sentence scores at most the :data:`CANDIDATES` new ones it shares most words
   with, so the work grows with the number of sentences, not with its square.

Example:
    >>> d = diff(tagger.tag(old_text.encode()), tagger.tag(new_text.encode()))  # doctest: +SKIP
    >>> [s.text for s in d.label("Data Retention").removed]                      # doctest: +SKIP
    ['We keep your data for 30 days.']
    >>> print(d.to_text())                                                       # doctest: +SKIP
"""

from __future__ import annotations

import heapq
import json
import textwrap
from dataclasses import dataclass, field
from difflib import SequenceMatcher

from privtag.errors import ArgumentError, check_real
from privtag.inference.results import TaggedPolicy, TaggedSentence
from privtag.labels import LABELS, label_index

#: the least similarity for two different sentences to count as one edited sentence
THRESHOLD = 0.6
#: the least word overlap (Dice) of a pair worth scoring for similarity
WORD_OVERLAP = 0.4
#: the most new sentences scored for one old sentence, best word overlap first: a policy of
#: template sentences ("... vendor 33432 ... service 15455.") passes the word filter for
#: every pair, and scoring them all took minutes for 40 KB
CANDIDATES = 8


@dataclass(frozen=True)
class Pair:
    """One aligned position: ``kind`` is ``same``, ``edited``, ``added`` or ``removed``."""

    old: TaggedSentence | None
    new: TaggedSentence | None
    similarity: float
    kind: str

    def to_dict(self) -> dict:
        def side(s: TaggedSentence | None) -> dict | None:
            return None if s is None else {"id": s.id, "text": s.text, "labels": list(s.labels)}

        return {
            "kind": self.kind,
            "similarity": round(self.similarity, 3),
            "old": side(self.old),
            "new": side(self.new),
        }


@dataclass
class LabelChange:
    """One label across the two versions (see the module docstring)."""

    label: str
    old_addressed: bool
    new_addressed: bool
    old_sentences: int
    new_sentences: int
    added: list[TaggedSentence] = field(default_factory=list)
    removed: list[TaggedSentence] = field(default_factory=list)
    gained: list[Pair] = field(default_factory=list)
    lost: list[Pair] = field(default_factory=list)

    @property
    def status(self) -> str:
        """``addressed``, ``not addressed``, or the change (``addressed -> not addressed``)."""
        name = {True: "addressed", False: "not addressed"}
        if self.old_addressed == self.new_addressed:
            return name[self.new_addressed]
        return f"{name[self.old_addressed]} -> {name[self.new_addressed]}"

    @property
    def context_only(self) -> bool:
        """Whether every sentence behind this label's change kept its text: the label moved
        with the sentences around it (the model reads each sentence in its paragraph), so
        the policy's words on this practice did not change."""
        moved = self.gained + self.lost
        return (
            bool(moved)
            and not (self.added or self.removed)
            and all(p.kind == "same" for p in moved)
        )

    @property
    def changed(self) -> bool:
        """Whether anything about this label changed."""
        return bool(self.added or self.removed or self.gained or self.lost) or (
            self.old_addressed != self.new_addressed
        )

    def to_dict(self) -> dict:
        return {
            "label": self.label,
            "status": {"old": self.old_addressed, "new": self.new_addressed},
            "sentences": {"old": self.old_sentences, "new": self.new_sentences},
            "added": [s.text for s in self.added],
            "removed": [s.text for s in self.removed],
            "gained": [p.to_dict() for p in self.gained],
            "lost": [p.to_dict() for p in self.lost],
            "context_only": self.context_only,
        }


@dataclass
class PolicyDiff:
    """The result of :func:`diff`: aligned ``pairs`` and one :class:`LabelChange` per label."""

    old: TaggedPolicy
    new: TaggedPolicy
    pairs: list[Pair]
    labels: list[LabelChange]
    names: tuple[str, str] = ("old", "new")

    def label(self, name: str) -> LabelChange:
        """The change of one label (display name or short id)."""
        return self.labels[label_index(name)]

    def counts(self) -> dict[str, int]:
        """Aligned positions per kind."""
        out = dict.fromkeys(("same", "edited", "added", "removed"), 0)
        for p in self.pairs:
            out[p.kind] += 1
        return out

    def to_dict(self) -> dict:
        return {
            "old": self.names[0],
            "new": self.names[1],
            "sentences": {"old": len(self.old.sentences), "new": len(self.new.sentences)},
            "alignment": self.counts(),
            "profiles": {
                "old": self.old.metadata.get("profile"),
                "new": self.new.metadata.get("profile"),
            },
            "labels": [c.to_dict() for c in self.labels],
            "pairs": [p.to_dict() for p in self.pairs if p.kind != "same"],
        }

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    def profile_note(self) -> str | None:
        """How the versions were decided, when a reader needs to know: at different
        threshold profiles (some changes may then be the thresholds'), or both at one
        profile the ``auto`` rule chose because a version names today's privacy laws (the
        same old version is decided otherwise beside another new one). None when each
        version was decided as it would be alone."""
        profiles = [p.metadata.get("profile") for p in (self.old, self.new)]
        if profiles[0] == profiles[1]:
            chosen = [p.metadata.get("profile_chosen_by") or {} for p in (self.old, self.new)]
            # a version that names none of the terms itself, decided by its partner's
            if not any(c.get("versions_terms") and not c.get("gdpr_era_terms") for c in chosen):
                return None  # each was decided as it would be alone
            terms = sorted({t for c in chosen for t in c.get("versions_terms", ())})
            return (
                f"both versions were decided at threshold profile {profiles[0]!r}, as a "
                f"version names {', '.join(terms)} (a version tagged alone may be decided "
                "otherwise; --thresholds NAME decides both at another profile)"
            )
        return (
            f"the versions were decided with different threshold profiles ({profiles[0]}, "
            f"{profiles[1]}): some changes may come from the thresholds; tag both at one "
            "profile (privtag diff does, given the two files)"
        )

    def to_text(self, width: int = 100, examples: int = 3) -> str:
        """A compact per-label summary, then a few changed sentences per changed label."""
        c = self.counts()
        lines = [
            f"{self.names[0]} -> {self.names[1]}: {len(self.old.sentences)} -> "
            f"{len(self.new.sentences)} sentences; {c['same']} same, {c['edited']} edited, "
            f"{c['added']} added, {c['removed']} removed",
            "",
        ]
        if note := self.profile_note():
            lines[-1:] = [f"note: {note}", ""]
        w = max(map(len, LABELS))
        head = f"{'label':<{w}}  {'old':>4} {'new':>4} {'+':>4} {'-':>4} {'~':>4} {'=':>4}  status"
        lines += [head, "-" * len(head)]
        for ch in self.labels:
            moved = ch.gained + ch.lost
            edited = sum(p.kind != "same" for p in moved)
            status = ch.status + (" (text unchanged)" if ch.context_only else "")
            lines.append(
                f"{ch.label:<{w}}  {ch.old_sentences:>4} {ch.new_sentences:>4} "
                f"{len(ch.added):>4} {len(ch.removed):>4} {edited:>4} "
                f"{len(moved) - edited:>4}  {status}"
            )
        lines.append(
            "(+ added, - removed, ~ edited sentences that gained or lost the label, = sentences "
            "of the same text that gained or lost it: read in a changed paragraph)"
        )
        for ch in (x for x in self.labels if x.changed):
            lines += ["", f"{ch.label}: {ch.status}"]
            shown = [("+", s.text) for s in ch.added] + [("-", s.text) for s in ch.removed]
            for p, sign in [*((p, "+") for p in ch.gained), *((p, "-") for p in ch.lost)]:
                shown.append(("~" + sign if p.kind != "same" else "=" + sign, p.new.text))
            for mark, text in shown[:examples]:
                lines.append(f"  {mark:<2} " + textwrap.shorten(text, width - 6))
            if len(shown) > examples:
                lines.append(f"     ... and {len(shown) - examples} more")
        edits = [p for p in self.pairs if p.kind == "edited"]
        if edits:
            # an edit that moves no label is still a change of the text a reader must see
            lines += ["", f"Edited sentences ({len(edits)}):"]
            for p in edits[:examples]:
                lines.append("  was " + textwrap.shorten(p.old.text, width - 6))
                lines.append("  now " + textwrap.shorten(p.new.text, width - 6))
            if len(edits) > examples:
                lines.append(f"     ... and {len(edits) - examples} more (--json lists all)")
        return "\n".join(lines)

    def to_html(self) -> str:
        """A self-contained HTML page: the per-label table and the changes side by side."""
        from privtag.render.diff_html import render

        return render(self)


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def align(
    old: list[TaggedSentence], new: list[TaggedSentence], threshold: float = THRESHOLD
) -> list[Pair]:
    """Align two versions' sentences (see the module docstring), in the new version's order.

    A removed sentence is placed after the new position of the sentence before it.
    """
    a, b = [_norm(s.text) for s in old], [_norm(s.text) for s in new]
    match: dict[int, tuple[int, float]] = {}  # old index -> (new index, similarity)
    for block in SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks():
        for k in range(block.size):
            match[block.a + k] = (block.b + k, 1.0)
    taken = {j for j, _ in match.values()}
    free_new: dict[str, list[int]] = {}
    for j, t in enumerate(b):
        if j not in taken:
            free_new.setdefault(t, []).append(j)
    for i, t in enumerate(a):
        if i not in match and free_new.get(t):
            j = free_new[t].pop(0)
            match[i] = (j, 1.0)
            taken.add(j)
    left_old = [i for i in range(len(a)) if i not in match]
    left_new = [j for j in range(len(b)) if j not in taken]
    words_new = {j: set(b[j].split()) for j in left_new}
    candidates = []
    for i in left_old:
        wa = set(a[i].split())
        overlaps = []
        for j in left_new:
            wb = words_new[j]
            # a cheap filter first: an edit that keeps 60% of the characters keeps far
            # more than a third of the words (Dice), while two unrelated policy
            # sentences share "we", "your", "data"; ratio() is quadratic in the length
            dice = 2 * len(wa & wb) / max(len(wa) + len(wb), 1)
            if dice >= WORD_OVERLAP:
                overlaps.append((-dice, j))
        for _, j in heapq.nsmallest(CANDIDATES, overlaps):
            m = SequenceMatcher(None, a[i], b[j], autojunk=False)
            if m.real_quick_ratio() >= threshold and m.quick_ratio() >= threshold:
                r = m.ratio()
                if r >= threshold:
                    candidates.append((-r, i, j))
    used_new: set[int] = set()
    for neg, i, j in sorted(candidates):
        if i not in match and j not in used_new:
            match[i] = (j, -neg)
            used_new.add(j)
    taken |= used_new
    keyed: list[tuple[tuple, Pair]] = []
    last_new = -1.0
    for i, s in enumerate(old):
        if i in match:
            j, sim = match[i]
            kind = "same" if sim == 1.0 else "edited"
            keyed.append(((j, 0, 0), Pair(s, new[j], sim, kind)))
            last_new = j
        else:
            keyed.append(((last_new + 0.5, 1, i), Pair(s, None, 0.0, "removed")))
    keyed += [
        ((j, 0, 0), Pair(None, new[j], 0.0, "added")) for j in range(len(b)) if j not in taken
    ]
    return [p for _, p in sorted(keyed, key=lambda kp: kp[0])]


def diff(old, new, tagger=None, *, threshold: float = THRESHOLD, names=None) -> PolicyDiff:
    """Compare two versions of a policy per label.

    Args:
        old, new: :class:`TaggedPolicy`, or anything ``tagger.tag`` takes (a ``Path``,
            bytes, a :class:`Document`; a ``str`` is the policy text itself).
        tagger: tags what is not tagged yet (default: ``Tagger.load()``, loaded only then).
        threshold: the least similarity for an edited sentence (see :func:`align`).
        names: how to call the two versions in the outputs (default: their paths).

    Returns:
        :class:`PolicyDiff`.

    Raises:
        ArgumentError: ``threshold`` outside 0-1 (or NaN), or ``names`` not two names.
    """
    check_real(threshold, "threshold", 0, 1, "a similarity")
    if names is not None and (isinstance(names, str) or len(names) != 2):
        raise ArgumentError(
            f"names must be two names, the old version's and the new's, not {names!r}"
        )
    policies = [old, new]
    todo = [i for i, p in enumerate(policies) if not isinstance(p, TaggedPolicy)]
    if todo:
        if tagger is not None and not callable(getattr(tagger, "tag", None)):
            raise ArgumentError(
                f"tagger must be a Tagger (or None for the default model), not "
                f"{type(tagger).__name__}; load one with Tagger.from_pretrained(DIR)"
            )
        if tagger is None:
            from privtag.inference.tagger import Tagger

            tagger = Tagger.load()
        policies = _tag_alike(tagger, policies, todo)
    before, after = policies
    pairs = align(before.sentences, after.sentences, threshold)
    was, now = set(before.addressed()), set(after.addressed())
    changes = []
    for name in LABELS:
        ch = LabelChange(
            name,
            name in was,
            name in now,
            sum(name in s.labels for s in before.sentences),
            sum(name in s.labels for s in after.sentences),
        )
        for p in pairs:
            if p.kind == "added" and name in p.new.labels:
                ch.added.append(p.new)
            elif p.kind == "removed" and name in p.old.labels:
                ch.removed.append(p.old)
            elif p.old is not None and p.new is not None:
                had, has = name in p.old.labels, name in p.new.labels
                if has and not had:
                    ch.gained.append(p)
                elif had and not has:
                    ch.lost.append(p)
        changes.append(ch)
    if names is None:
        names = tuple(
            str(p.document.metadata.get("path") or label)
            for p, label in ((before, "old"), (after, "new"))
        )
    return PolicyDiff(before, after, pairs, changes, tuple(names))


def _tag_alike(tagger, policies: list, todo: list[int]) -> list:
    """``policies`` with those at ``todo`` tagged, both versions at the same thresholds.

    Under the ``"auto"`` profile each policy's text picks its thresholds; a version written
    before the GDPR and one after would then be decided differently, and the diff would
    report labels the thresholds moved, not the text. So the pair is decided as one: a
    version tagged already keeps its recorded profile and the other is tagged at it;
    otherwise, if either version names today's privacy laws, both get the model's profile
    for them.
    """
    from privtag.inference.settings import AUTO_PROFILE, DEFAULT_PROFILE

    if getattr(tagger, "profile", None) != AUTO_PROFILE:  # a baseline has no profiles
        return [tagger.tag(p) if i in todo else p for i, p in enumerate(policies)]
    recorded = next(
        (p.metadata.get("profile") for i, p in enumerate(policies) if i not in todo), None
    )
    # the documents tag() would read, segmented once
    docs = {i: tagger._document(policies[i], None) for i in todo}
    chosen = {} if recorded else {i: tagger.profile_for(d.text) for i, d in docs.items()}
    profile = recorded or next((name for name, found in chosen.values() if found), DEFAULT_PROFILE)
    versions = sorted({t for _, found in chosen.values() for t in found})
    # say why when the rule chose, as tag() does under "auto" (a model without a profile for
    # current policies never looks, so it gives no reason)
    say_why = bool(chosen) and bool(tagger.thresholds.get(AUTO_PROFILE))
    out = list(policies)
    for i, doc in docs.items():
        out[i] = tagger.tag(doc, thresholds=profile)
        if say_why:
            out[i].metadata["profile_chosen_by"] = {
                "rule": AUTO_PROFILE,
                "gdpr_era_terms": chosen[i][1],
                "versions_terms": versions,
            }
    return out


__all__ = ["LabelChange", "Pair", "PolicyDiff", "align", "diff"]
