"""What :meth:`privtag.Tagger.tag` returns: a policy with labels per sentence and paragraph.

Example:
    >>> policy = tagger.tag_file("data/policies/zarget.md")           # doctest: +SKIP
    >>> policy.sentences[3].labels, policy.sentences[3].scores   # doctest: +SKIP
    >>> print(policy.table())                                     # doctest: +SKIP
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import textwrap
from dataclasses import asdict, dataclass, field

from privtag.errors import check_int
from privtag.extras import require
from privtag.labels import LABEL_IDS, LABELS
from privtag.segmentation.document import Document, Sentence


@dataclass(frozen=True, slots=True)
class TaggedSentence(Sentence):
    """A :class:`privtag.segmentation.document.Sentence` with its ``labels`` and per-label ``scores``."""

    labels: list[str]
    scores: dict[str, float]

    def __hash__(self) -> int:
        # the generated hash would hash the list and the dict (JSON-ready, so not tuples):
        # equal sentences have the same place, text and labels, so these decide it
        return hash((self.id, self.start, self.end, self.text, tuple(self.labels)))

    @classmethod
    def of(cls, s: Sentence, labels: list[str], scores) -> TaggedSentence:
        """``s`` with ``labels`` and ``scores`` (12 floats, in taxonomy order)."""
        fields = {f.name: getattr(s, f.name) for f in dataclasses.fields(Sentence)}
        return cls(
            **fields,
            labels=labels,
            scores={name: round(float(v), 4) for name, v in zip(LABELS, scores, strict=True)},
        )


@dataclass
class TaggedParagraph:
    """A paragraph (``document.text[start:end]``) with its labels and scores."""

    index: int
    start: int
    end: int
    text: str
    labels: list[str]
    scores: dict[str, float]

    @classmethod
    def of(cls, p, text: str, labels: list[str], scores) -> TaggedParagraph:
        """Paragraph ``p`` of a document whose text is ``text``, with ``labels`` and
        ``scores`` (12 floats, in taxonomy order)."""
        return cls(
            p.index, p.start, p.end, text[p.start : p.end], labels,
            dict(zip(LABELS, map(float, scores), strict=True)),
        )  # fmt: skip


@dataclass
class TaggedPolicy:
    """A tagged policy: the segmented ``document``, its ``sentences`` and ``paragraphs``."""

    document: Document
    sentences: list[TaggedSentence]
    paragraphs: list[TaggedParagraph]
    model: str = ""
    metadata: dict = field(default_factory=dict)

    def with_label(self, label: str) -> list[TaggedSentence]:
        """Sentences carrying ``label`` (display name or short id), strongest first."""
        from privtag.labels import label_index

        name = LABELS[label_index(label)]
        return sorted(
            (s for s in self.sentences if name in s.labels), key=lambda s: -s.scores[name]
        )

    def addressed(self) -> list[str]:
        """Labels the policy addresses: carried by a sentence or a paragraph (taxonomy order).

        The others are "not addressed"; batch summaries and diffs use this one definition.
        """
        seen = {x for unit in [*self.sentences, *self.paragraphs] for x in unit.labels}
        return [name for name in LABELS if name in seen]

    def summary(self) -> list[dict]:
        """Per label: sentences and paragraphs that carry it, and the strongest evidence.

        Returns:
            One dict per label (in taxonomy order): ``label``, ``sentences``,
            ``paragraphs``, ``evidence`` (text of the highest-scoring sentence with the
            label, or None) and ``score``.
        """
        out = []
        for name in LABELS:
            hits = self.with_label(name)
            out.append(
                {
                    "label": name,
                    "sentences": len(hits),
                    "paragraphs": sum(name in p.labels for p in self.paragraphs),
                    "evidence": hits[0].text if hits else None,
                    "score": hits[0].scores[name] if hits else None,
                }
            )
        return out

    def to_dict(self) -> dict:
        """JSON-ready dict: model, what decided the labels (aggregation, threshold profile,
        thresholds), source metadata, what the reader repaired or left out (``warnings``,
        ``dropped``), the normalised ``text`` every ``start``/``end`` indexes, sentences,
        paragraphs and summary.

        Each sentence also has ``source_start``/``source_end``: its span in the text as the
        user gave it (Markdown markup, CRLF and doubled spaces included), or None where
        that is not known (HTML; see :meth:`Document.source_offset`).
        """
        doc = self.document

        def sentence(s: TaggedSentence) -> dict:
            return {**asdict(s), **doc.source_fields(s.start, s.end)}

        return {
            "model": self.model,
            "decision": self.metadata,
            "source": {k: v for k, v in doc.metadata.items() if k != "links"},
            # what the reader repaired or left out (page furniture, bytes not UTF-8)
            "warnings": list(doc.warnings),
            "dropped": [asdict(d) for d in doc.dropped],
            "text": doc.text,
            "sentences": [sentence(s) for s in self.sentences],
            "paragraphs": [asdict(p) for p in self.paragraphs],
            "summary": self.summary(),
        }

    def to_json(self, indent: int | None = None) -> str:
        """The tagged policy as a JSON string (see :meth:`to_dict`)."""
        return json.dumps(self.to_dict(), ensure_ascii=False, indent=indent)

    def to_html(self, model=None, **options) -> str:
        """The evidence report: one self-contained HTML page (:func:`privtag.render.render_html`).

        Pass the :class:`~privtag.Tagger` as ``model`` to show its thresholds and versions.
        """
        from privtag.render import render_html

        return render_html(self, model, **options)

    def to_dataframe(self):
        """A pandas DataFrame, one row per sentence, one score column per label id."""
        require("eval", "pandas")
        import pandas as pd

        rows = []
        for s in self.sentences:
            row = {
                "id": s.id,
                "paragraph": s.paragraph,
                "start": s.start,
                "end": s.end,
                "kind": s.kind,
                "section": " > ".join(s.section),
                "text": s.text,
                "labels": s.labels,
            }
            row.update({lid: s.scores[name] for lid, name in zip(LABEL_IDS, LABELS, strict=True)})
            rows.append(row)
        # the columns are named even without rows, so df["text"] works on any policy
        columns = [
            "id",
            "paragraph",
            "start",
            "end",
            "kind",
            "section",
            "text",
            "labels",
            *LABEL_IDS,
        ]
        return pd.DataFrame(rows, columns=columns)

    def highlight(self, label: str):
        """Every sentence with its score for ``label``, the tagged ones outlined.

        For notebooks: a pandas ``Styler`` (needs jinja2) with columns ``id``, ``text``
        and the label's score column, shaded from 0 (white) to 1 (red).
        """
        from privtag.labels import label_index

        j = label_index(label)
        name, column = LABELS[j], LABEL_IDS[j]
        df = self.to_dataframe()
        tagged = df["labels"].map(lambda labels: name in labels)
        outline = "font-weight: bold; outline: 3px solid black"
        return (
            df[["id", "text", column]]
            .style.hide(axis="index")
            # policy text is the page's text, never its markup (a notebook renders it)
            .format({column: "{:.3f}"}, escape="html")
            .background_gradient(subset=[column], cmap="YlOrRd", vmin=0, vmax=1)
            .apply(lambda col: [outline if t else "" for t in tagged], subset=[column])
            .set_properties(subset=["text"], **{"text-align": "left"})
        )

    def table(self, width: int | None = None) -> str:
        """A readable per-sentence table for a terminal, then the per-label summary.

        Args:
            width: characters per line (default: the terminal's, at most 160).
        """
        if width is not None:
            width = check_int(width, "width (None: the terminal's)", 1)
        width = width or min(shutil.get_terminal_size((120, 20)).columns, 160)
        text_w = max(30, width - 44)
        lines = [f"{'#':>4}  {'sentence':<{text_w}}  labels", "-" * width]
        para = None
        for s in self.sentences:
            if para is not None and s.paragraph != para:
                lines.append("")
            para = s.paragraph
            wrapped = textwrap.wrap(s.text, text_w) or [""]
            short = [LABEL_IDS[LABELS.index(x)] for x in s.labels] or ["-"]
            for i, chunk in enumerate(wrapped):
                tag = ", ".join(short) if i == 0 else ""
                num = s.id.removeprefix("s") if i == 0 else ""
                lines.append(f"{num:>4}  {chunk:<{text_w}}  {tag}")
        w = max(map(len, LABELS))
        lines += ["", f"{'label':<{w}} {'sent.':>5} {'para.':>5}  strongest evidence", "-" * width]
        for row in self.summary():
            ev = textwrap.shorten(row["evidence"] or "", max(20, width - 50))
            lines.append(f"{row['label']:<{w}} {row['sentences']:>5} {row['paragraphs']:>5}  {ev}")
        return "\n".join(lines)
