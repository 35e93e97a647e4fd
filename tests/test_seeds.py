"""Named random streams: each one's entropy is the lab's historic layout (so results stay what they
were), streams are apart from each other, and no module of the run makes a stream of its own."""

import re
import zlib
from pathlib import Path

import numpy as np

from lab.seeds import Stream, entropy, stream, stream_seed

LAB = Path(__file__).parents[1] / "lab"


def test_each_stream_keeps_its_tag_and_place():
    technique, arch = zlib.crc32(b"ec2-sg-open-ssh"), zlib.crc32(b"manual")
    assert entropy(5, Stream.PREREQUISITES, "ec2-sg-open-ssh") == [5, technique, 0x3A]
    assert entropy(5, Stream.TRIAL_IDS, "ec2-sg-open-ssh", "manual", 2) == [
        5,
        technique,
        arch,
        2,
        0x1D,
    ]
    assert entropy(5, Stream.INJECTION, "ec2-sg-open-ssh", 2) == [5, technique, 2]
    assert entropy(5, Stream.ARCHITECTURE, "ec2-sg-open-ssh", "manual", 2) == [
        5,
        technique,
        arch,
        2,
    ]
    assert entropy(5, Stream.PERSON, "ec2-sg-open-ssh", 2) == [5, technique, 2, 0x9E]
    assert entropy(5, Stream.BACKGROUND, 2) == [5, 0xB6, 2]
    assert entropy(5, Stream.REPETITION, 1) == [5, 1]


def test_a_stream_is_numpys_seed_sequence_of_its_entropy():
    draws = stream(5, Stream.PERSON, "x", 1).random(3)
    assert (draws == np.random.default_rng([5, zlib.crc32(b"x"), 1, 0x9E]).random(3)).all()
    expected = np.random.SeedSequence([5, 0xB6, 1]).generate_state(1)[0]
    assert stream_seed(5, Stream.BACKGROUND, 1) == int(expected)
    # Common streams do not depend on the architecture; the architecture's stream does.
    assert stream(5, Stream.INJECTION, "x", 1).random() != stream(5, Stream.PERSON, "x", 1).random()


def test_no_module_of_a_run_makes_a_stream_of_its_own():
    own = re.compile(r"default_rng\(|derived_seed\(|SeedSequence\(|0x(1D|9E|B6|3A)\b")
    offenders = [
        f"{path.relative_to(LAB)}:{n}"
        for path in sorted((LAB / "experiment").rglob("*.py"))
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if own.search(line)
    ]
    assert offenders == []
