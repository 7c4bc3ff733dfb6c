"""``privtag.tag``: tag a policy, or a list of them, in one call with the shipped model.

For a script or a notebook that tags a few policies, loading a :class:`Tagger` first is
one step too many. :func:`tag` loads the model once per process (the shipped one, or
``$PRIVTAG_MODEL``, or ``model``) and keeps it, so later calls cost only the tagging.
A program that needs other settings (a threshold profile, the ONNX backend) makes its
own ``Tagger.from_pretrained(...)``.

Example:
    >>> import privtag
    >>> policy = privtag.tag("We share your e-mail address with advertisers.")  # doctest: +SKIP
    >>> policy.sentences[0].labels  # doctest: +SKIP
    ['Third Party Sharing/Collection']
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

# model directory (resolved) -> its Tagger, loaded on first use
_TAGGERS: dict = {}


def tag(policy, model: str | Path | None = None, errors: str = "raise"):
    """Tag one policy, or a list of policies, with the shipped model (or ``model``).

    Args:
        policy: text (a ``str`` is always text, never a file name), bytes, a
            :class:`~pathlib.Path` to a policy file, a :class:`~privtag.Document`; or a
            list, tuple or other iterable (a generator) of them.
        model: a model directory (default: ``$PRIVTAG_MODEL``, else the shipped model).
            Each model is loaded once per process.
        errors: for several policies, what one that cannot be read does: ``"raise"``
            counts them and names the first five before any is tagged; ``"skip"`` tags the others and
            puts ``None`` in its place, with a :class:`~privtag.errors.SkippedPolicyWarning`.

    Returns:
        A :class:`~privtag.TaggedPolicy` for one policy; a list of them, in order, for
        several (tagged in shared batches, as :meth:`Tagger.tag_many` does).

    Raises:
        PolicyTypeError: ``policy`` is of another type (a dict, a DataFrame, a number).
        PolicyReadError: a policy cannot be read (in a list: how many cannot, the first
            five named by position), raised before the model is loaded.
        ModelLoadError: ``model`` cannot be loaded.
        ArgumentError: ``errors`` is not ``"raise"`` or ``"skip"``.

    Example:
        >>> pages = [Path("a.html"), Path("gone.html")]
        >>> results = privtag.tag(pages, errors="skip")  # doctest: +SKIP
        >>> results[1] is None  # doctest: +SKIP
        True
    """
    from privtag.inference.persistence import model_directory
    from privtag.inference.tagger import Tagger, check_errors, check_many

    if isinstance(policy, bytearray | memoryview):  # bytes, not a list of small numbers
        policy = bytes(policy)
    many = isinstance(policy, Iterable) and not isinstance(policy, str | bytes)
    skip = check_errors(errors)
    if many:
        check_many(policy, "privtag.tag")  # before minutes of loading
    # the directory itself: $PRIVTAG_MODEL read now, one model however it is spelt; a
    # wrong one is named in milliseconds, before any policy is read
    path = model_directory(model).resolve()
    if many:
        # every policy is read before the model loads and before any is tagged: a bad
        # one at the end is named in seconds, with the others that are bad too
        docs = _read_all(list(policy), skip)
        if all(d is None for d in docs):  # none given, or every one skipped
            return docs
    tagger = _TAGGERS.get(path)
    if tagger is None:
        tagger = _TAGGERS[path] = Tagger.from_pretrained(path)
    if many:
        tagged = iter(tagger.tag_many([d for d in docs if d is not None]))
        return [None if d is None else next(tagged) for d in docs]
    return tagger.tag(policy)


def _read_all(policies: list, skip: bool) -> list:
    """Each policy read and segmented (``None`` for one skipped); raises naming every
    policy that cannot be read unless ``skip``."""
    from privtag.errors import PolicyReadError, PolicyTypeError, plural
    from privtag.inference.stream import warn_skipped
    from privtag.inference.tagger import Tagger

    docs, bad = [], []
    for i, source in enumerate(policies):
        try:
            docs.append(Tagger._document(source, None))
        except PolicyReadError as e:
            docs.append(None)
            bad.append((i, e))
            if skip:
                warn_skipped(i, e)
    if bad and not skip:
        # each reason may hold commas: "; " keeps them apart, and five say enough
        which = "; ".join(
            [f"policy {i}: {e}" for i, e in bad[:5]]
            + ([f"and {len(bad) - 5} more"] if len(bad) > 5 else [])
        )
        kind = PolicyTypeError if all(isinstance(e, PolicyTypeError) for _, e in bad) else None
        others = ', or pass errors="skip" to tag the others' if len(bad) < len(policies) else ""
        raise (kind or PolicyReadError)(
            f"{len(bad)} of the {plural(len(policies), 'policy')} given cannot be read "
            f"(counting from 0; none was tagged): {which}. Fix or drop them{others}"
        )
    return docs
