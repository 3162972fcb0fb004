"""``python -m analyzer`` is ``tos-audit``."""
import sys

from analyzer.cli import main

sys.exit(main())
