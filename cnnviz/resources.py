"""Find the bundled resources (MNIST digits, the pre-trained model, icons).

From an installed wheel they live inside the package (``cnnviz/resources``); from a
checkout (``python main.py`` or an editable install) they are the top-level ``resources/``.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


def resources_dir() -> Path:
    """The folder holding the bundled resources."""
    for candidate in (_PACKAGE_DIR / "resources", _PACKAGE_DIR.parent / "resources"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        "cnnviz's bundled resources are missing: looked in "
        f"{_PACKAGE_DIR / 'resources'} and {_PACKAGE_DIR.parent / 'resources'}"
    )


def resource_path(*parts: str) -> Path:
    """Path of one bundled resource, e.g. ``resource_path("mnist", "t10k-labels-idx1-ubyte.gz")``."""
    return resources_dir().joinpath(*parts)
