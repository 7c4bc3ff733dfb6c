"""Packaging that pyproject.toml cannot say: model/ ships as the package privtag._model.

Every package under src/ is found as usual; the repository's top-level model/ (kept
there, where the training and export commands write it) is mapped into the wheel,
sdist and editable installs, so ``Tagger.from_pretrained()`` works from any folder.
"""

from setuptools import find_packages, setup

setup(
    packages=[*find_packages("src"), "privtag._model"],
    package_dir={"": "src", "privtag._model": "model"},
)
