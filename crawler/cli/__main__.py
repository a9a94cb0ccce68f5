"""``python -m crawler.cli``: the same as the ``palimpsest`` command."""

import sys

from crawler.cli import main

sys.exit(main())
