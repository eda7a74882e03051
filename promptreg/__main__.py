"""`python -m promptreg`: what the hooks call."""

import sys

from promptreg.cli import main

sys.exit(main())
