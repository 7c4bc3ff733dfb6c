"""The 12 practice labels privtag tags with.

The OPP-115 taxonomy (Wilson et al., ACL 2016): nine data-practice categories,
and its "Other" category split by its ``Other Type`` attribute into three labels,
as PrivacyGLUE does (Shankar et al., 2023). The order below is fixed: it is the
column order of every score matrix privtag produces.

Example:
    >>> from privtag.labels import LABELS, LABEL_IDS
    >>> LABELS[1], LABEL_IDS[1]
    ('Third Party Sharing/Collection', 'third_party')
"""

from __future__ import annotations

from dataclasses import dataclass

from privtag.errors import LabelError


@dataclass(frozen=True)
class Label:
    """One practice label: its display ``name``, stable short ``id`` and ``definition``."""

    name: str
    id: str
    definition: str


TAXONOMY: tuple[Label, ...] = (
    Label(
        "First Party Collection/Use",
        "first_party",
        "The site or service itself (the first party) collects, receives, stores or uses personal "
        "information: what data, how it is gathered (forms, accounts, cookies and similar "
        "technologies it sets, server logs, data received from other companies such as a "
        "sign-in provider) and for what purpose (service, support, marketing, analytics, "
        "security). Also statements that it does not collect, keep or use something, and "
        "whether the data is identifiable or anonymous.",
    ),
    Label(
        "Third Party Sharing/Collection",
        "third_party",
        "Personal information leaves the first party or is gathered by someone else: shared "
        "with or sold to service providers, advertisers, affiliates or group companies, "
        "authorities on legal request, a buyer in a merger; collected on the site by "
        "third-party cookies, beacons, ad networks, analytics or social widgets; or made "
        "visible to other users and the public. Includes promises not to sell, rent or share.",
    ),
    Label(
        "User Choice/Control",
        "user_choice",
        "Options the user has over collection, use or sharing: consent asked before something "
        "happens, opting out (unsubscribe links, e-mail requests), account or browser "
        "settings such as blocking cookies, choices offered by third parties; also statements "
        "that a choice is not available, or that the only way out is to stop using a feature.",
    ),
    Label(
        "User Access, Edit and Deletion",
        "user_access",
        "Whether and how users can see, export, correct, update or delete the information held "
        "about them or content they posted, deactivate or close their account, and how such "
        "requests are handled (channel, response time, cases where removal is not possible).",
    ),
    Label(
        "Data Retention",
        "data_retention",
        "How long collected personal information is kept (a stated period, as long as needed "
        "for a purpose or required by law, or indefinitely), when it is deleted or anonymised, "
        "and what is kept after an account is closed.",
    ),
    Label(
        "Data Security",
        "data_security",
        "How personal information is protected: encryption in transit or at rest, access "
        "limits, staff confidentiality duties and training, audits, backups and incident "
        "procedures, generic promises of safeguards; and disclaimers that no method or "
        "transmission is perfectly secure.",
    ),
    Label(
        "Policy Change",
        "policy_change",
        "That the policy may change, and how users learn of changes (posted on the page, a "
        "notice on the site, a personal message), when changes take effect, whether continued "
        "use counts as acceptance, and what users can do if they disagree.",
    ),
    Label(
        "Do Not Track",
        "do_not_track",
        "How the site responds to a browser's Do Not Track signal, including saying that it "
        "does not respond to it, and explanations of what the signal is.",
    ),
    Label(
        "International and Specific Audiences",
        "specific_audiences",
        "Practices that apply only to particular groups: children (e.g. under 13) and their "
        "parents, residents of a given state or country (such as California or the EU), or "
        "users whose data is stored in or transferred to other countries.",
    ),
    Label(
        "Introductory/Generic",
        "introductory",
        "Text that introduces the policy or a section without stating a specific practice: "
        "titles and headings, who the company is, that it values privacy, what the policy "
        "covers, effective or last-updated dates, and that using the site means accepting "
        "the policy.",
    ),
    Label(
        "Practice not covered",
        "practice_not_covered",
        "A specific statement about data or the user's dealings with the site that none of "
        "the other labels covers: links to other sites and advice to read their policies, "
        "ownership of data, user warranties, indemnities and similar legal terms, handling of "
        "legal notices.",
    ),
    Label(
        "Privacy contact information",
        "contact",
        "How to reach the company about privacy: e-mail or postal addresses, phone numbers, a "
        "named privacy officer, a contact page or form, or an invitation to get in touch with "
        "questions or concerns about the policy.",
    ),
)

LABELS: tuple[str, ...] = tuple(label.name for label in TAXONOMY)
LABEL_IDS: tuple[str, ...] = tuple(label.id for label in TAXONOMY)
NUM_LABELS = len(LABELS)
LABEL2ID: dict[str, int] = {name: i for i, name in enumerate(LABELS)}
ID2LABEL: dict[int, str] = dict(enumerate(LABELS))
_BY_KEY: dict[str, int] = {
    **{name.lower(): i for i, name in enumerate(LABELS)},
    **{short: i for i, short in enumerate(LABEL_IDS)},
}


def label_index(name: str) -> int:
    """Column index of a label given by its display name or short id (case-insensitive).

    Raises:
        LabelError: with the list of valid names, if ``name`` is not a label (or not a str);
            a ``KeyError`` and a :class:`~privtag.errors.PrivtagError`.

    Example:
        >>> label_index("data_security"), label_index("Data Security")
        (5, 5)
    """
    if not isinstance(name, str):
        raise LabelError(f"a label is named by a str (e.g. 'Data Security'), not {name!r}")
    key = name.strip()
    if key.lower() in _BY_KEY:
        return _BY_KEY[key.lower()]
    if key in _BY_KEY:
        return _BY_KEY[key]
    raise LabelError(
        f"unknown label {name!r}; valid labels are: "
        + "; ".join(LABELS)
        + " (or their ids: "
        + ", ".join(LABEL_IDS)
        + ")"
    )
