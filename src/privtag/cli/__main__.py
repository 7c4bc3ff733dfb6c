"""``python -m privtag.cli``: the ``privtag`` command."""

from privtag.cli import main

if __name__ == "__main__":
    main()
