"""What a batch run remembers of each file it tagged, to tell a resumed run it changed.

A resumed run skips the files it tagged before; if one was edited (or deleted) since,
its rows in the output are of the old text. The progress log keeps, per file, its size,
modification time and a SHA-256 of its bytes: a file whose size or time differ is read
again and reported only if its bytes differ too (``touch``, ``cp`` or a checkout change
the time, not the text). Records of ``.jsonl(.gz)`` inputs are not stamped: a record
file rewritten between runs is the user's to rerun with ``--force``.

Example:
    >>> stamp = file_stamp("README.md")  # doctest: +SKIP
    >>> changed_since("README.md", stamp) is None  # doctest: +SKIP
    True
"""

from __future__ import annotations

import hashlib
import os


def file_stamp(path: str, policy_id: str | None = None) -> dict | None:
    """``{"id", "size", "mtime_ns", "sha256"}`` of the file at ``path``; None if unreadable.

    The stamp is taken when the policy's part is committed, just after it was tagged.
    """
    try:
        st = os.stat(path)
        digest = _sha256(path)
    except OSError:
        return None
    return {"id": policy_id, "size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": digest}


def changed_since(path: str, stamp: dict) -> str | None:
    """Why the rows of ``path``, tagged when it had ``stamp``, are out of date; or None."""
    try:
        st = os.stat(path)
    except OSError:
        return "gone since this run tagged it; its rows stay in the output (--force starts over)"
    if (st.st_size, st.st_mtime_ns) == (stamp.get("size"), stamp.get("mtime_ns")):
        return None
    try:
        if _sha256(path) == stamp.get("sha256"):
            return None  # touched or copied, not edited
    except OSError:
        pass
    return (
        "changed since this run tagged it, so its rows are of the earlier text: "
        "tag again with --force (or into a new output)"
    )


def _sha256(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
