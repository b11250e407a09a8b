"""Start cnnviz from a checkout: ``python main.py`` (same as the ``cnnviz`` command)."""

from cnnviz.entry import run  # first: from here on Ctrl-C exits quietly with code 130

if __name__ == "__main__":
    import sys

    sys.exit(run())
