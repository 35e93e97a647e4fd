"""Seeds derived from a run's seed: one function, so every stream the lab draws from is made alike."""

from __future__ import annotations

import zlib

import numpy as np


def derived_seed(*parts: int) -> int:
    """A 32-bit seed from ``parts`` (numpy's SeedSequence: independent streams for distinct parts)."""
    return int(np.random.SeedSequence(list(parts)).generate_state(1)[0])


def stable_key(text: str) -> int:
    """A seed component that is the same on every machine and Python run (unlike ``hash``)."""
    return zlib.crc32(text.encode())
