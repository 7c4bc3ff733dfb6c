"""The rows of a batch run: a tagged policy as sentence, paragraph or policy rows.

Both engines (local and Ray) call :func:`tag_input` and :func:`to_table`, so they write
the same rows with the same Arrow schema.

Columns, by ``level``:

* ``sentence``: ``policy_id``, ``sentence_id``, ``paragraph_id``, ``section`` (headings
  joined by " > "), ``start``, ``end`` (in the normalised text), ``source_start``,
  ``source_end`` (in the file or record as given; null for HTML, whose markup has no
  such span: see :meth:`~privtag.Document.source_offset`), ``text``, ``labels`` (a
  list), and one score column per label id (``first_party``, ``third_party``, ...);
* ``paragraph``: the same without ``sentence_id``, one row per paragraph;
* ``policy``: ``policy_id``, ``sentences``, ``paragraphs``, ``chars``, ``labels`` (the
  labels the policy addresses), and per label id the number of sentences carrying it
  (``third_party``) and a flag ``third_party_not_addressed``.

Every level also has ``profile``: the threshold profile that decided the policy (under
``--thresholds auto`` it can differ from one policy to the next; null for a baseline).

Example:
    >>> rows = policy_rows("p1", tagger.tag_file("data/policies/zarget.md"), "policy")  # doctest: +SKIP
    >>> rows[0]["third_party_not_addressed"]                                      # doctest: +SKIP
    False
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import pyarrow as pa

from privtag.errors import shown
from privtag.labels import LABEL_IDS, LABELS

if TYPE_CHECKING:
    from privtag.batch.sources import PolicyInput
    from privtag.inference.results import TaggedPolicy

LEVELS = ("sentence", "paragraph", "policy")
_LIST = pa.list_(pa.string())
_SCORES = [(lid, pa.float32()) for lid in LABEL_IDS]
_UNIT = [
    ("paragraph_id", pa.int32()),
    ("section", pa.string()),
    ("start", pa.int64()),
    ("end", pa.int64()),
    ("source_start", pa.int64()),
    ("source_end", pa.int64()),
    ("text", pa.string()),
    ("labels", _LIST),
    *_SCORES,
    ("profile", pa.string()),
]
SCHEMAS = {
    "sentence": pa.schema([("policy_id", pa.string()), ("sentence_id", pa.string()), *_UNIT]),
    "paragraph": pa.schema([("policy_id", pa.string()), *_UNIT]),
    "policy": pa.schema(
        [
            ("policy_id", pa.string()),
            ("sentences", pa.int32()),
            ("paragraphs", pa.int32()),
            ("chars", pa.int64()),
            ("labels", _LIST),
            *((lid, pa.int32()) for lid in LABEL_IDS),
            *((f"{lid}_not_addressed", pa.bool_()) for lid in LABEL_IDS),
            ("profile", pa.string()),
        ]
    ),
}
ERROR_SCHEMA = pa.schema(
    [("policy_id", pa.string()), ("path", pa.string()), ("reason", pa.string())]
)
#: What a reader repaired or left out of a policy it tagged (``privtag tag`` prints it).
WARNING_SCHEMA = pa.schema(
    [("policy_id", pa.string()), ("path", pa.string()), ("warning", pa.string())]
)


class Tagged(NamedTuple):
    """What one policy gave: its rows, or the one-line reason it failed; its sentences."""

    rows: list[dict]
    error: str | None
    sentences: int
    warnings: tuple[str, ...] = ()


def _scores(scores: dict[str, float]) -> dict[str, float]:
    return {lid: scores[name] for lid, name in zip(LABEL_IDS, LABELS, strict=True)}


def policy_rows(policy_id: str, policy: TaggedPolicy, level: str) -> list[dict]:
    """The rows of one tagged policy at ``level`` (see the module docstring)."""
    doc = policy.document
    profile = (policy.metadata or {}).get("profile")
    if level == "sentence":
        return [
            {
                "policy_id": policy_id,
                "sentence_id": s.id,
                "paragraph_id": s.paragraph,
                "section": " > ".join(s.section),
                "start": s.start,
                "end": s.end,
                **doc.source_fields(s.start, s.end),
                "text": s.text,
                "labels": list(s.labels),
                **_scores(s.scores),
                "profile": profile,
            }
            for s in policy.sentences
        ]
    if level == "paragraph":
        return [
            {
                "policy_id": policy_id,
                "paragraph_id": p.index,
                "section": " > ".join(doc.paragraphs[p.index].section),
                "start": p.start,
                "end": p.end,
                **doc.source_fields(p.start, p.end),
                "text": p.text,
                "labels": list(p.labels),
                **_scores(p.scores),
                "profile": profile,
            }
            for p in policy.paragraphs
        ]
    if level != "policy":
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    addressed = policy.addressed()
    row = {
        "policy_id": policy_id,
        "sentences": len(policy.sentences),
        "paragraphs": len(policy.paragraphs),
        "chars": len(doc.text),
        "labels": addressed,
        "profile": profile,
    }
    for lid, name in zip(LABEL_IDS, LABELS, strict=True):
        row[lid] = sum(name in s.labels for s in policy.sentences)
        row[f"{lid}_not_addressed"] = name not in addressed
    return [row]


def one_line(error: BaseException) -> str:
    """An exception as one line: privtag's own messages as they are, others with their type."""
    from privtag.errors import PrivtagError

    text = " ".join(str(error).split())
    return text if isinstance(error, PrivtagError) else f"{type(error).__name__}: {text}"


def tag_input(tagger, item: PolicyInput, level: str) -> Tagged:
    """Tag one input; a policy that cannot be tagged gives its reason instead of rows.

    Any exception counts as that policy's error, not only privtag's own: one odd page in
    a corpus of thousands (a parser recursion limit, say) must not end a long run. It is
    never silent: the errors table and the summary line show it, and ``--strict`` stops.
    """
    if item.error is not None:
        return Tagged([], item.error, 0)
    try:
        policy = tagger.tag(item.source())
    except Exception as e:
        # a record is read as bytes, which the reader calls "<bytes>": its place names it
        reason = one_line(e).removeprefix("<bytes>: ").removeprefix("<text>: ")
        name = shown(item.path)
        return Tagged([], reason if name in reason else f"{name}: {reason}", 0)
    warnings = tuple(getattr(policy.document, "warnings", ()))
    return Tagged(policy_rows(item.id, policy, level), None, len(policy.sentences), warnings)


def to_table(rows: list[dict], level: str) -> pa.Table:
    """Rows as an Arrow table with the level's schema (also when there are none)."""
    return pa.Table.from_pylist(rows, schema=SCHEMAS[level])


def level_of(schema: pa.Schema) -> str:
    """The level a table of rows was written at, from its columns."""
    names = set(schema.names)
    if "sentence_id" in names:
        return "sentence"
    return "paragraph" if "paragraph_id" in names else "policy"
