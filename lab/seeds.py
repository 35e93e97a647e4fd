"""Seeds derived from a run's seed: one function, so every stream the lab draws from is made alike."""

from __future__ import annotations

import numpy as np


def derived_seed(*parts: int) -> int:
    """A 32-bit seed from ``parts`` (numpy's SeedSequence: independent streams for distinct parts)."""
    return int(np.random.SeedSequence(list(parts)).generate_state(1)[0])
