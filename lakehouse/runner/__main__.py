"""``python -m lakehouse.runner <verb>``: see :mod:`lakehouse.runner.cli`."""

import sys

from lakehouse.runner.cli import main

sys.exit(main())
