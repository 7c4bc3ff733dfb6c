"""Page furniture and hidden content of web pages: what is left out of a policy, and why.

Menus, headers, footers, banners and dialogs (by tag, ARIA role or class name) and
hidden elements (accordions and tabs) are *candidates*. Each is judged by the text it
holds, counted in one pass over the tree: link lists go, hidden or not; other
furniture stays when it reads as policy text. :mod:`privtag.segmentation.markup` asks
this module as it walks a page and reports what was left out by reason.

Example:
    >>> verdict(measure("Home About Contact"), "furniture")
    'furniture'
    >>> verdict(measure("We collect your e-mail address."), "furniture") is None
    True
"""

from __future__ import annotations

import re

# Never page text: code, embedded objects and the page's title (metadata). Not <head> as
# a whole: without a <body> tag, libxml2 puts the elements it does not know (<main>,
# <article>, <noscript>) in the head, policy text and all.
NON_TEXT_TAGS = {"script", "style", "svg", "canvas", "iframe", "object", "title"}
CONTROL_TAGS = {"button", "select", "option", "textarea", "input"}
# A button with one of these is an accordion or tab toggle: its text titles the panel it
# opens, so it is read as text, unlike other form controls.
TOGGLE_ATTRS = ("aria-expanded", "aria-controls", "data-toggle", "data-bs-toggle", "data-target")


# A button of one of these classes, or just before an element of one, opens a panel
# (the "accordion" of many page builders, with no ARIA attribute)
# elements that end a line: words before one are not in the same sentence as words after
_LINE_BREAKING = {
    *str.split("h1 h2 h3 h4 h5 h6 p div br hr li ul ol dl dt dd table tr td th section"),
    *str.split("article header footer nav aside form blockquote pre details summary button"),
}
# whole class names only: "cookie-panel-accept" or "navbar-toggler" open no panel
_PANEL_CLASS = re.compile(r"(?:^|\s)(?:accordion|collaps|faq|expand)[\w-]*", re.I)


def skipped_control(el, tag: str) -> bool:
    """Whether ``el`` is a form control the reader skips: any but a button that carries
    policy text.

    A button is read as text when it titles a panel (an accordion or tab toggle: ARIA or
    data attributes, a class naming an accordion, a collapse, an FAQ or an expander on
    it or on the element after it), sits in a heading
    (``<h2><button>How long we keep it</button></h2>``), or stands inside a sentence
    ("Questions? <button>Chat with us</button> or e-mail ..."); a button alone ("Accept",
    "Print") and the rest of a form are not policy text. The reader and the furniture
    counts both ask this, so text the reader keeps is always counted in the verdict on the
    furniture around it.
    """
    if tag not in CONTROL_TAGS:
        return False
    return tag != "button" or not _button_text(el)


def _button_text(el) -> bool:
    if any(map(el.get, TOGGLE_ATTRS)) or _PANEL_CLASS.search(el.get("class") or ""):
        return True
    if any(a.tag in HEADING_TAGS for a in el.iterancestors() if isinstance(a.tag, str)):
        return True
    nxt = el.getnext()
    if nxt is not None and isinstance(nxt.tag, str) and _PANEL_CLASS.search(nxt.get("class") or ""):
        return True
    return in_sentence(el)


def in_sentence(el) -> bool:
    """Whether element ``el`` has words on both sides of it in its parent: it is part of a
    sentence, so a reader joins its words to theirs ("Questions? <button>Chat with
    us</button> or e-mail ...")."""
    parent = el.getparent()
    if parent is None:
        return False
    before = _last_char_before(el, parent)
    # words on both sides, or words before that have not ended their sentence ("To opt
    # out, use <button>Do Not Sell My Info</button></p>")
    return bool(before) and (bool((el.tail or "").strip()) or before not in ".!?:")


def _last_char_before(el, parent) -> str:
    """The last visible character of the parent's words before ``el`` on its line,
    through earlier inline siblings ("Please <b>click</b> ..."); "" when there are none.
    A block before it (<h1>, <p>, <br>) starts the line afresh. Read backwards and only
    to the nearest words: a page of thousands of buttons side by side read every earlier
    sibling once per button (quadratic: 34 s for 5,000)."""
    for sib in el.itersiblings(preceding=True):
        tail = (sib.tail or "").strip()
        if not isinstance(sib.tag, str) or sib.tag.lower() in _LINE_BREAKING:
            return tail[-1:]
        if tail:
            return tail[-1]
        words = "".join(sib.itertext()).strip()
        if words:
            return words[-1]
    return (parent.text or "").strip()[-1:]


# Page furniture: dropped unless its text reads as policy text (see verdict).
_FURNITURE = {"nav", "aside", "menu", "dialog", "noscript", "template"}
_PAGE_FURNITURE = {"header", "footer"}  # furniture only outside <main> or <article>
_FURNITURE_TOKEN = re.compile(
    r"(?:nav|navbar|navigation|menu|main-menu|menubar|breadcrumbs?|site-header|site-footer|"
    r"header|footer|sidebar|skip-link|skip-to-content|cookie[-_]?(?:banner|notice|consent|bar)|"
    r"social-share|share-buttons)",
    re.I,
)
_FURNITURE_ROLES = {"navigation", "banner", "contentinfo", "search", "menu", "menubar"}
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
HEADING_TAGS = {"h1", "h2", "h3", "h4", "h5", "h6"}
_POLICY_TERMS = re.compile(
    r"privacy|polic(?:y|ies)|personal|cookie|\bdata\b|information|contact|consent|opt[- ]?out"
    r"|gdpr|ccpa"
    r"|third[- ]part|tracking|unsubscribe|collect|disclos|\bshare|\bsell|\bretain|e-?mail"
    r"|\baddress|location|\bdelet",
    re.I,
)
_SENTENCE_END = re.compile(r"\w[.!?](?=\s|$)")


def visible_text(el) -> str:
    """The text of ``el``'s subtree a reader could show: scripts, styles and skipped
    form controls left out, the texts of elements apart ("Home About", not "HomeAbout").

    Walked with a stack, not recursion: pages nest deeper than Python's stack allows.
    """
    parts: list[str] = []
    stack: list = [el]  # elements, and the tails (str) to emit after them
    while stack:
        node = stack.pop()
        if isinstance(node, str):
            parts.append(node)
            continue
        tag = node.tag.lower() if isinstance(node.tag, str) else ""
        if not tag or tag in NON_TEXT_TAGS or skipped_control(node, tag):
            continue  # comments, scripts, controls: their tails are pushed by the parent
        parts.append(node.text or "")
        for child in reversed(node):
            if child.tail:
                stack.append(child.tail)
            stack.append(child)
    return " ".join(" ".join(parts).split())


def measure(t: str | None) -> tuple[int, ...]:
    """Counts of a text: ``(characters, link characters, words, sentence ends, texts with policy
    terms, headings)``; the second and last are filled in by :func:`measure_candidates`."""
    if not t or t.isspace():
        return _ZERO
    words = t.split()
    return (
        sum(map(len, words)),
        0,
        len(words),
        len(_SENTENCE_END.findall(t)),
        _POLICY_TERMS.search(t) is not None,
        0,
    )


_ZERO = (0, 0, 0, 0, 0, 0)


def candidate(el, tag: str, in_main: bool) -> str | None:
    """``"furniture"``, ``"hidden"`` or None: whether ``el`` may be left out, and why."""
    get = el.get
    if tag in _FURNITURE or (tag in _PAGE_FURNITURE and not in_main):
        return "furniture"
    if (get("role") or "").lower() in _FURNITURE_ROLES:
        return "furniture"
    if not in_main and tag in {"div", "section", "ul", "ol", "table"}:
        tokens = (get("class") or "").split() + (get("id") or "").split()
        if any(_FURNITURE_TOKEN.fullmatch(t) for t in tokens):
            return "furniture"
    if (
        get("hidden") is not None
        or get("aria-hidden") == "true"
        or _HIDDEN_STYLE.search(get("style") or "")
    ):
        # accordions and tabs hide policy sections until clicked
        return "hidden"
    return None


def verdict(counts: tuple[int, ...], kind: str) -> str | None:
    """Why a candidate is left out (``"link list"``, ``"furniture"``), or None to keep it.

    Menus and link lists go, hidden or not. Other furniture stays when it reads as
    policy text: a heading (a policy section moved into a box), a few sentences of
    prose, or a phrase of four words or more about privacy, data or contact.
    """
    chars, links, words, ends, terms, headings = counts
    if not chars:
        return None
    if chars - links <= 0.2 * chars:
        return "link list"
    if kind == "hidden":
        return None
    if headings or (ends >= 2 and words >= 12) or (terms and words >= 4):
        return None
    return "furniture"


def measure_candidates(root) -> dict:
    """The :func:`measure` counts of every candidate's subtree under ``root``, in one pass.

    Reversed document order visits every element after its descendants, so each
    subtree is counted once however deeply candidates nest.
    """
    acc: dict = {}
    found: dict = {}
    for el in reversed(list(root.iter())):
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        children = [acc.pop(child, _ZERO) for child in el]
        if not tag or tag in NON_TEXT_TAGS or skipped_control(el, tag):
            acc[el] = _ZERO
            continue
        parts = [measure(el.text), *children, *(measure(child.tail) for child in el)]
        c = tuple(map(sum, zip(*parts, strict=True)))
        if tag == "a" and el.get("href") is not None:  # <a name=...> is an anchor, not a link
            c = (c[0], c[0], *c[2:])
        elif tag in HEADING_TAGS:
            c = (*c[:5], c[5] + 1)
        acc[el] = c
        if candidate(el, tag, in_main=False):
            found[el] = c
    return found
