"""The benchmark table of a run: one row per technique and architecture, the same numbers as the
report's survival table, and what a citation needs (catalog version, seed, lock digest)."""

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from lab.attacks.registry import catalog_version
from lab.experiment.results import load_trials
from lab.report.benchmark import BENCHMARK_CSV, BENCHMARK_MD, write_benchmark
from lab.report.survival import km_table, observation_window_s

DEMO_RUN = Path(__file__).parents[2] / "docs" / "reference-runs" / "demo"


@pytest.fixture
def run_dir(tmp_path):
    run_dir = tmp_path / "demo"
    shutil.copytree(DEMO_RUN, run_dir)
    return run_dir


def test_the_table_cites_the_catalog_seed_and_lock_and_matches_the_survival_estimates(run_dir):
    manifest = json.loads((run_dir / "manifest.json").read_text())
    manifest["versions"]["catalog"] = catalog_version()
    (run_dir / "manifest.json").write_text(json.dumps(manifest))

    csv_path, md_path = write_benchmark(run_dir)

    assert (csv_path.name, md_path.name) == (BENCHMARK_CSV, BENCHMARK_MD)
    table = pd.read_csv(csv_path)
    trials = load_trials(run_dir)
    pairs = trials[["technique", "architecture"]].drop_duplicates()
    assert len(table) == len(pairs)
    assert set(table["catalog_version"]) == {catalog_version()["version"]}
    assert set(table["seed"]) == {manifest["seed"]}
    assert set(table["lock_sha256"]) == {manifest["versions"]["lock"]["sha256"]}
    survival = km_table(trials, observation_window_s(trials, manifest["scenario"]))
    for row in table.itertuples():
        for stage in ("detect", "remediate"):
            (expected,) = survival[
                (survival["technique"] == row.technique)
                & (survival["architecture"] == row.architecture)
                & (survival["stage"] == stage)
            ].to_dict("records")
            assert getattr(row, f"{stage}_rmst_s") == pytest.approx(expected["rmst_s"])
            assert getattr(row, f"{stage}_km_median_s") == pytest.approx(
                expected["km_median_s"], nan_ok=True
            )
        assert (
            row.detected_fraction_ci_low <= row.detected_fraction <= row.detected_fraction_ci_high
        )
    md = md_path.read_text()
    assert md.startswith(f"# Benchmark: demo on catalog v{catalog_version()['version']}")
    assert manifest["versions"]["lock"]["sha256"] in md and str(manifest["seed"]) in md
    assert "nan" not in md.lower().replace("not reached", "")
    assert "\n\n| ATT&CK" in md  # a table after a blank line, as Markdown needs


def test_a_run_older_than_the_catalog_field_says_its_version_was_not_recorded(run_dir):
    manifest = json.loads((run_dir / "manifest.json").read_text())
    manifest["versions"].pop("catalog", None)  # as a run made before the field existed
    (run_dir / "manifest.json").write_text(json.dumps(manifest))
    _, md_path = write_benchmark(run_dir)
    assert "version not recorded" in md_path.read_text().splitlines()[0]


def test_the_manifest_records_the_catalog_version_and_digest():
    from lab.experiment.manifest import versions

    recorded = versions()["catalog"]
    assert recorded["version"] >= 1 and len(recorded["sha256"]) == 64
