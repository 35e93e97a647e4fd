"""``python -m lab.cli``."""

from lab.cli import app

app()
