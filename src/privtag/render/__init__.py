"""Renderers: pure functions from a tagged policy to text people read (HTML report).

Example:
    >>> from privtag.render import render_html
    >>> html = render_html(tagger.tag_file("data/policies/zarget.md"), tagger)  # doctest: +SKIP
"""

from privtag.render.html import render_html
from privtag.render.summary import label_summary, model_info

__all__ = ["label_summary", "model_info", "render_html"]
