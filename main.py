"""Start cnnviz from a checkout: ``python main.py`` (same as the ``cnnviz`` command)."""

import sys

from cnnviz.cli import main

if __name__ == "__main__":
    sys.exit(main())
