"""docs/scaling.md's benchmark blocks are written from what `benchmarks/run.py --keep` measured
(docs/reference-runs/bench.json), and a number edited by hand is caught."""

import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from lab.paths import REPO_ROOT
from lab.report import bench_page, reference

RESULTS = {
    "emulator_call_ms": 2.3456,
    "matcher_records_per_s": 123_456.7,
    "log_filter_cis15_records_per_s": 31_234.5,
    "serverless_compression_x": 4_321.09,
    "manual_overhead_vs_floor_x": 1.73,
    "eventbridge_deployed_rules": 21.0,
}
ROWS = [
    {"technique": "a-cheap", "architecture": "manual", "cpu_per_trial_s": 0.5, "api_calls": 40.0,
     "cli_runs": 3.0, "floor_s": 0.4, "over_floor_x": 1.25},
    {"technique": "b-dear", "architecture": "serverless", "cpu_per_trial_s": 2.25,
     "api_calls": 120.0, "cli_runs": 0.0, "floor_s": 1.0, "over_floor_x": 2.25},
    {"technique": "c-middle", "architecture": "manual", "cpu_per_trial_s": 1.125,
     "api_calls": 80.0, "cli_runs": 6.0, "floor_s": 0.5, "over_floor_x": 2.25},
]  # fmt: skip


def _block(page: str, name: str) -> str:
    match = re.search(
        rf"<!-- generated: {name} [^>]*-->\n(.*?)<!-- /generated: {name} -->", page, re.S
    )
    assert match is not None, name
    return match[1]


def _copy_of_the_pages(tmp_path: Path) -> Path:
    """docs/scaling.md and the bench blocks of docs/reference-runs.yaml, nothing else."""
    root = tmp_path / "repo"
    (root / "docs").mkdir(parents=True)
    (root / "docs" / "scaling.md").write_bytes((REPO_ROOT / "docs" / "scaling.md").read_bytes())
    config = yaml.safe_load((REPO_ROOT / reference.CONFIG).read_text())
    config["blocks"] = [b for b in config["blocks"] if b["run"] == "bench"]
    assert [b["block"] for b in config["blocks"]] == ["bench", "bench-techniques"]
    (root / reference.CONFIG).write_text(yaml.safe_dump(config))
    return root


def _cells(block: str) -> dict[str, list[str]]:
    """The ``bench`` table's rows: measure -> [value, target, met?]."""
    return {
        line.split("|")[1].strip(): [c.strip() for c in line.split("|")[2:-1]]
        for line in block.splitlines()
        if line.startswith("| `")
    }


def test_the_blocks_show_every_measure_against_its_target_and_where_it_was_measured(tmp_path):
    root = _copy_of_the_pages(tmp_path)
    assert reference.check(root) == []  # not measured yet: the blocks say so
    page = (root / "docs" / "scaling.md").read_text()
    assert _block(page, "bench") == bench_page.NOT_MEASURED + "\n"

    kept = bench_page.keep(
        root, {"campaign": None, "techniques": "all", "trials": 1}, RESULTS, ROWS
    )
    assert reference.check(root) == [
        "docs/scaling.md: block 'bench' differs from reference run 'bench'",
        "docs/scaling.md: block 'bench-techniques' differs from reference run 'bench'",
    ]
    assert reference.write(root) == ["docs/scaling.md:bench", "docs/scaling.md:bench-techniques"]
    assert reference.check(root) == []
    page = (root / "docs" / "scaling.md").read_text()
    measures = _block(page, "bench")
    assert _cells(measures) == {
        "`emulator_call_ms`": ["2.35", "", ""],
        "`matcher_records_per_s`": ["123,000", ">= 50,000", "yes"],
        "`log_filter_cis15_records_per_s`": ["31,200", ">= 50,000", "no"],
        "`serverless_compression_x`": ["4,320", ">= 1,000", "yes"],
        "`manual_overhead_vs_floor_x`": ["1.73", "<= 1.5", "no"],
        "`eventbridge_deployed_rules`": ["21", "", ""],
    }
    lock = hashlib.sha256((REPO_ROOT / "requirements" / "main.txt").read_bytes()).hexdigest()
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    stamp = (
        f"Measured by `make bench KEEP=1` on {kept['date']}: commit `{commit[:10]}`"
        f"{' with uncommitted changes' if kept['dirty'] else ''}, lock `{lock[:12]}`, "
        f"{bench_page.machine()}."
    )
    assert measures.endswith(stamp + "\n")

    techniques = _block(page, "bench-techniques")
    lines = [line for line in techniques.splitlines() if line.startswith("| ")]
    assert [line.split("|")[1].strip() for line in lines[1:]] == ["b-dear", "c-middle", "a-cheap"]
    assert [c.strip() for c in lines[1].split("|")[2:-1]] == [
        "serverless", "2.250", "120", "0", "1.000", "2.25", "yes"
    ]  # fmt: skip
    assert [c.strip() for c in lines[3].split("|")[-3:-1]] == ["1.25", ""]
    assert "\n\n2 of 3 over 1.5x their floor.\n\n" in techniques and techniques.endswith(
        stamp + "\n"
    )


def test_a_number_edited_by_hand_is_caught_and_written_back(tmp_path):
    root = _copy_of_the_pages(tmp_path)
    bench_page.keep(root, {"campaign": None, "techniques": "none", "trials": 1}, RESULTS, [])
    reference.write(root)
    scaling = root / "docs" / "scaling.md"
    original = scaling.read_text()
    assert "No technique measured (`TECHNIQUES=none`)." in _block(original, "bench-techniques")
    assert "Measured by `make bench KEEP=1 TECHNIQUES=none` on " in original
    scaling.write_text(original.replace("| 123,000 |", "| 124,000 |"))
    assert reference.check(root) == [
        "docs/scaling.md: block 'bench' differs from reference run 'bench'"
    ]
    assert reference.write(root) == ["docs/scaling.md:bench"]
    assert scaling.read_text() == original


def test_the_command_line_and_a_dirty_checkout_are_in_the_stamp():
    kept = {
        "date": "2026-12-07",
        "commit": "0123456789abcdef",
        "dirty": True,
        "lock": "fedcba9876543210",
        "machine": "2 cores, 24 GiB",
        "options": {
            "campaign": "scenarios/full-matrix.yaml",
            "techniques": "ec2-sg-open-ssh,iam-create-access-key",
            "trials": 3,
        },
    }
    assert bench_page.stamp(kept) == (
        "Measured by `make bench KEEP=1 TECHNIQUES=ec2-sg-open-ssh,iam-create-access-key TRIALS=3 "
        "CAMPAIGN=scenarios/full-matrix.yaml` on 2026-12-07: commit `0123456789` with uncommitted "
        "changes, lock `fedcba987654`, 2 cores, 24 GiB."
    )


def test_rounding_keeps_three_significant_digits():
    shown = [bench_page.rounded(v) for v in (0.012345, 2.3456, 999.96, 123_456.7, 0.0, 21.0)]
    assert shown == ["0.0123", "2.35", "1,000", "123,000", "0", "21"]
    assert bench_page.rounded(float("nan")) == "n/a"


def _git(folder: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=folder,
        check=True,
        capture_output=True,
    )


def test_dirty_means_changes_besides_the_kept_file(tmp_path):
    (tmp_path / "lab.py").write_text("x = 1\n")
    (tmp_path / bench_page.BENCH).parent.mkdir(parents=True)
    (tmp_path / bench_page.BENCH).write_text("{}\n")
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-qm", "one")
    assert bench_page.dirty(tmp_path) is False
    (tmp_path / bench_page.BENCH).write_text('{"a": 1}\n')  # a second run's file: not a change
    assert bench_page.dirty(tmp_path) is False
    (tmp_path / "lab.py").write_text("x = 2\n")
    assert bench_page.dirty(tmp_path) is True


@pytest.mark.integration
def test_benchmarks_run_keep_writes_the_file_the_blocks_show(tmp_path):
    """The real `benchmarks/run.py --keep` with its smallest options, into a copy of the pages."""
    root = _copy_of_the_pages(tmp_path)
    real = REPO_ROOT / bench_page.BENCH
    before = real.read_bytes() if real.is_file() else None
    bin_dir = str(Path(sys.executable).parent)
    subprocess.run(
        [sys.executable, "benchmarks/run.py", "--keep", "--techniques=none", f"--out-root={root}"],
        cwd=REPO_ROOT,
        env={**os.environ, "PATH": bin_dir + os.pathsep + os.environ["PATH"]},
        check=True,
        capture_output=True,
        timeout=1800,
    )
    assert (real.read_bytes() if real.is_file() else None) == before  # the repository untouched
    kept = json.loads((root / bench_page.BENCH).read_text())
    (printed,) = (root / "results" / "benchmarks").glob("*.json")
    assert json.loads(printed.read_text())["results"] == kept["results"]
    assert kept["options"] == {"campaign": None, "techniques": "none", "trials": 1}
    assert kept["techniques"] == [] and kept["results"]["serverless_deploy_s"] > 0
    assert (
        kept["lock"]
        == hashlib.sha256((REPO_ROOT / "requirements" / "main.txt").read_bytes()).hexdigest()
    )

    assert reference.write(root) == ["docs/scaling.md:bench", "docs/scaling.md:bench-techniques"]
    assert reference.check(root) == []
    measures = _block((root / "docs" / "scaling.md").read_text(), "bench")
    cells = _cells(measures)
    assert list(cells) == [f"`{name}`" for name in kept["results"]]
    for name, value in kept["results"].items():
        assert cells[f"`{name}`"][0] == bench_page.rounded(value)
    assert cells["`matcher_records_per_s`"][1:] == [
        ">= 50,000",
        "yes" if kept["results"]["matcher_records_per_s"] >= 50_000 else "no",
    ]
    assert measures.endswith(bench_page.stamp(kept) + "\n")
    assert f"commit `{kept['commit'][:10]}`" in measures
