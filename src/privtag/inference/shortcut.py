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


def tag(policy, model: str | Path | None = None):
    """Tag one policy, or a list of policies, with the shipped model (or ``model``).

    Args:
        policy: text (a ``str`` is always text, never a file name), bytes, a
            :class:`~pathlib.Path` to a policy file, a :class:`~privtag.Document`; or a
            list, tuple or other iterable (a generator) of them.
        model: a model directory (default: ``$PRIVTAG_MODEL``, else the shipped model).
            Each model is loaded once per process.

    Returns:
        A :class:`~privtag.TaggedPolicy` for one policy; a list of them, in order, for
        several (tagged in shared batches, as :meth:`Tagger.tag_many` does).

    Raises:
        PolicyTypeError: ``policy`` is of another type (a dict, a DataFrame, a number).
        PolicyReadError: a policy cannot be read (named by its position in a list).
        ModelLoadError: ``model`` cannot be loaded.
    """
    from privtag.inference.persistence import model_directory
    from privtag.inference.tagger import Tagger, check_many

    if isinstance(policy, bytearray | memoryview):  # bytes, not a list of small numbers
        policy = bytes(policy)
    many = isinstance(policy, Iterable) and not isinstance(policy, str | bytes)
    if many:
        check_many(policy, "privtag.tag")  # before minutes of loading
    # the directory itself: $PRIVTAG_MODEL read now, one model however it is spelt
    path = model_directory(model).resolve()
    tagger = _TAGGERS.get(path)
    if tagger is None:
        tagger = _TAGGERS[path] = Tagger.from_pretrained(path)
    if many:
        return list(tagger.tag_many(policy))
    return tagger.tag(policy)
