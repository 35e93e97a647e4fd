"""The ``lab`` command as the tests start it: this interpreter's ``python -m lab.cli``."""

import sys

LAB = [sys.executable, "-m", "lab.cli"]
