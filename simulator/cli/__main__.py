"""``python -m simulator.cli``: same as the ``rollout-sim`` script."""

import sys

from . import main

sys.exit(main())
