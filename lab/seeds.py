"""Seeds derived from a run's seed: every stream the lab draws from is named here and made by one
function (``entropy``: ``stream`` gives its generator, ``stream_seed`` a 32-bit seed), so no module
invents a tag of its own.

A stream's entropy is the run's seed, then the stream's keys (a text key through ``stable_key``),
with the stream's tag where the stream puts it. The tags and their places are part of every result
(changing one changes every run's draws); they are the lab's historic ones."""

from __future__ import annotations

import zlib
from enum import Enum

import numpy as np


class Stream(Enum):
    """The named streams, with the keys each one takes after the run's seed."""

    PREREQUISITES = "ids of a technique's prerequisites: (technique)"
    TRIAL_IDS = "ids the emulator makes during a trial: (technique, architecture, trial)"
    INJECTION = "the attack's moment, common to every architecture: (technique, trial)"
    ARCHITECTURE = "every other draw of an architecture's trial: (technique, architecture, trial)"
    PERSON = "the on-call person's times, common to every architecture: (technique, trial)"
    BACKGROUND = "a trial's background load, common to every architecture: (trial)"
    REPETITION = "a repetition's seed: (repetition)"
    WALL_CLOCK = "a wall-clock trial's draws (real account or stand-in): (trial)"
    REPLAY = "a replayed record's draws: (architecture, record index)"


# The tag that keeps a stream apart from the others with as many keys, and whether it comes right
# after the seed (else last); a stream not named here has none.
TAGS: dict[Stream, tuple[int, bool]] = {
    Stream.PREREQUISITES: (0x3A, False),
    Stream.TRIAL_IDS: (0x1D, False),
    Stream.PERSON: (0x9E, False),
    Stream.BACKGROUND: (0xB6, True),
}


def stable_key(text: str) -> int:
    """A seed component that is the same on every machine and Python run (unlike ``hash``)."""
    return zlib.crc32(text.encode())


def entropy(seed: int, name: Stream, *keys: int | str) -> list[int]:
    """The entropy of stream ``name`` of ``seed`` for ``keys``: the one way a stream is made."""
    parts = [stable_key(k) if isinstance(k, str) else int(k) for k in keys]
    if name not in TAGS:
        return [seed, *parts]
    tag, first = TAGS[name]
    return [seed, tag, *parts] if first else [seed, *parts, tag]


def stream(seed: int, name: Stream, *keys: int | str) -> np.random.Generator:
    """A generator of stream ``name`` (keys: ints, or texts read through ``stable_key``)."""
    return np.random.default_rng(entropy(seed, name, *keys))


def stream_seed(seed: int, name: Stream, *keys: int | str) -> int:
    """A 32-bit seed of stream ``name``, for what takes a seed rather than a generator (the
    emulator's ids, the background load)."""
    return derived_seed(*entropy(seed, name, *keys))


def derived_seed(*parts: int) -> int:
    """A 32-bit seed from ``parts`` (numpy's SeedSequence: independent streams for distinct parts)."""
    return int(np.random.SeedSequence(list(parts)).generate_state(1)[0])
