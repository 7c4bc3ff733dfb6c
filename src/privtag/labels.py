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
        "The site or service itself (the first party) collects, receives or uses personal "
        "information, and how or why it does so: what data, by which means (forms, cookies, "
        "logs), for what purpose. Also statements that it does not collect something.",
    ),
    Label(
        "Third Party Sharing/Collection",
        "third_party",
        "Personal information is shared with, sold to, or collected by someone other than the "
        "first party: advertisers, analytics providers, affiliates, service providers, "
        "authorities. Includes third parties that track users on the site, and statements "
        "that data is not sold or shared.",
    ),
    Label(
        "User Choice/Control",
        "user_choice",
        "Choices the user has about collection, use or sharing: opting in or out, consent, "
        "unsubscribing from messages, browser or cookie settings, privacy settings.",
    ),
    Label(
        "User Access, Edit and Deletion",
        "user_access",
        "Whether and how users can see, export, correct, update or delete the information held "
        "about them, or deactivate or close their account.",
    ),
    Label(
        "Data Retention",
        "data_retention",
        "How long personal information is kept, when it is deleted or anonymised, and what is "
        "kept after an account is closed.",
    ),
    Label(
        "Data Security",
        "data_security",
        "How personal information is protected: encryption, secure transmission, access "
        "controls, staff confidentiality, audits; and disclaimers that no method is perfectly "
        "secure.",
    ),
    Label(
        "Policy Change",
        "policy_change",
        "Whether and how users are told when the policy changes, when changes take effect, and "
        "what choice users have about them. Effective or last-updated dates belong here too.",
    ),
    Label(
        "Do Not Track",
        "do_not_track",
        "How the site responds to a browser's Do Not Track signal, including saying that it "
        "does not respond to it.",
    ),
    Label(
        "International and Specific Audiences",
        "specific_audiences",
        "Practices that apply only to particular groups: children (e.g. under 13), residents "
        "of a given state or country (such as California or the EU), or data transferred "
        "across borders.",
    ),
    Label(
        "Introductory/Generic",
        "introductory",
        "Text that introduces the policy or a section, or states something general about "
        "privacy without a specific practice: who the company is, that it values privacy, "
        "what the policy covers, that using the site means accepting it.",
    ),
    Label(
        "Practice not covered",
        "practice_not_covered",
        "A statement about data handling that none of the other categories covers, for "
        "example legal disclaimers, dispute resolution, or terms about links to other sites "
        "that say nothing about their data practices.",
    ),
    Label(
        "Privacy contact information",
        "contact",
        "How to reach the company about privacy: e-mail or postal addresses, phone numbers, a "
        "named privacy officer, a contact form.",
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
        KeyError: with the list of valid names, if ``name`` is not a label.

    Example:
        >>> label_index("data_security"), label_index("Data Security")
        (5, 5)
    """
    key = name.strip()
    if key.lower() in _BY_KEY:
        return _BY_KEY[key.lower()]
    if key in _BY_KEY:
        return _BY_KEY[key]
    raise KeyError(
        f"unknown label {name!r}; valid labels are: " + "; ".join(LABELS) + " (or their ids: "
        + ", ".join(LABEL_IDS) + ")"
    )
