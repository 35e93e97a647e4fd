"""Every number README.md and docs/ quote is what its reference run gives (docs/reference-runs.yaml),
and a number edited by hand is caught."""

import re
import shutil
from pathlib import Path

import pytest

from lab.paths import REPO_ROOT
from lab.report import reference


def _copy_of_the_pages(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    shutil.copytree(REPO_ROOT / "docs", root / "docs")
    shutil.copy(REPO_ROOT / "README.md", root / "README.md")
    (root / "lab" / "sim").mkdir(parents=True)
    shutil.copy(REPO_ROOT / "lab" / "sim" / "calibration.yaml", root / "lab" / "sim")
    return root


def test_every_block_matches_its_reference_run():
    assert reference.check(REPO_ROOT) == []


def test_a_number_edited_by_hand_is_caught_and_written_back(tmp_path):
    root = _copy_of_the_pages(tmp_path)
    readme = root / "README.md"
    original = readme.read_text()
    block = re.search(r"<!-- generated: headline.*?<!-- /generated: headline -->", original, re.S)
    assert block is not None
    edited = re.sub(
        r"(\|\s+)(\d+)(\s+\|)", lambda m: f"{m[1]}{int(m[2]) + 1}{m[3]}", block[0], count=1
    )
    assert edited != block[0]
    readme.write_text(original.replace(block[0], edited))
    assert reference.check(root) == [
        "README.md: block 'headline' differs from reference run 'coverage'"
    ]
    assert reference.write(root) == ["README.md:headline"]
    assert readme.read_text() == original and reference.check(root) == []


def test_a_kept_run_changed_after_a_check_is_read_again(tmp_path):
    """Tables are made once per process for the same kept files, and again when they change."""
    root = _copy_of_the_pages(tmp_path)
    assert reference.check(root) == []
    trials = root / "docs" / "reference-runs" / "demo" / "trials.csv"
    trials.write_text(trials.read_text().replace(",remediated,", ",missed,", 1))
    assert reference.check(root) == [
        "README.md: block 'demo' differs from reference run 'demo'",
        "docs/experiments.md: block 'demo' differs from reference run 'demo'",
    ]


def test_a_page_without_its_block_is_one_clear_error(tmp_path):
    root = _copy_of_the_pages(tmp_path)
    page = root / "docs" / "techniques.md"
    page.write_text(re.sub(r"<!-- /?generated: coverage[^>]*-->\n", "", page.read_text()))
    with pytest.raises(
        reference.ReferenceError, match=r"docs/techniques\.md has no block 'coverage'"
    ):
        reference.check(root)


def test_the_headline_figure_is_drawn_by_write_and_its_data_checked(tmp_path):
    root = _copy_of_the_pages(tmp_path)
    figure = root / "docs" / "reference-runs" / "coverage" / "headline.png"
    figure.unlink(missing_ok=True)
    assert reference.check(root) == [
        "README.md: figure docs/reference-runs/coverage/headline.png is not drawn"
    ]
    reference.write(root)
    assert figure.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and reference.check(root) == []
    # Other trials, another digest: the block (and so the figure) is stale until written again.
    trials = root / "docs" / "reference-runs" / "coverage" / "trials.csv"
    lines = trials.read_text().splitlines()
    trials.write_text(
        "\n".join(line.replace(",missed,", ",remediated,", 1) for line in lines) + "\n"
    )
    assert "README.md: block 'headline-figure' differs from reference run 'coverage'" in (
        reference.check(root)
    )
