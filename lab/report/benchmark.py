"""The catalog as a benchmark: per technique and architecture, the outcome with its interval and
the times to detect and to remediate as survival estimates (Kaplan-Meier median, RMST), written as
``benchmark.csv`` and ``benchmark.md`` in the run folder with what a citation needs (catalog
version, seed, lock digest, commit), so a team can cite "stack X on catalog v1"."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from lab.experiment.results import MANIFEST, load_trials
from lab.report.coverage import cell_outcome, coverage_table, outcome_fractions
from lab.report.statistics import group_keys
from lab.report.survival import km_table, observation_window_s

BENCHMARK_CSV = "benchmark.csv"
BENCHMARK_MD = "benchmark.md"
_STAGES = ("detect", "remediate")
_SURVIVAL = (
    "km_median_s",
    "km_median_ci_low_s",
    "km_median_ci_high_s",
    "rmst_s",
    "rmst_ci_low_s",
    "rmst_ci_high_s",
)


def _detected_fraction(outcomes: pd.Series) -> dict[str, float]:
    """The fraction of ran trials detected (remediated or detected only), Wilson 95 %."""
    seen = outcomes.replace({"remediated": "detected only"})
    fractions = outcome_fractions(seen)
    return {
        "detected_fraction": fractions["detected_only_fraction"],
        "detected_fraction_ci_low": fractions["detected_only_fraction_ci_low"],
        "detected_fraction_ci_high": fractions["detected_only_fraction_ci_high"],
    }


def benchmark_table(trials: pd.DataFrame, window_s: pd.Series) -> pd.DataFrame:
    """One row per technique and architecture (and sweep point): ATT&CK mapping, trials, the
    outcome most trials had, the detected and remediated fractions with Wilson 95 % intervals,
    and for detection and remediation the Kaplan-Meier median (95 % CI; NaN: not reached) and
    the RMST over the run's horizon (95 % CI)."""
    keys = group_keys(trials, "technique", "architecture")
    attack = coverage_table(trials).set_index(["technique", "architecture"])[
        ["tactic", "attack_id"]
    ]
    by_cell = {
        (*(r[k] for k in keys), r["stage"]): r
        for r in km_table(trials, window_s).to_dict("records")
    }
    rows = []
    for values, group in trials.groupby(keys, sort=True):
        labels = dict(zip(keys, values, strict=True))
        fractions = outcome_fractions(group["outcome"])
        row: dict[str, Any] = {
            **attack.loc[(labels["technique"], labels["architecture"])].to_dict(),
            **labels,
            "trials": len(group),
            "ran": fractions["ran"],
            "outcome": cell_outcome(group["outcome"]),
            **_detected_fraction(group["outcome"]),
            **{k: v for k, v in fractions.items() if k.startswith("remediated_")},
        }
        for stage in _STAGES:
            found = by_cell.get((*values, stage), {})
            for column in _SURVIVAL:
                row[f"{stage}_{column}"] = float(found.get(column, float("nan")))
            row["horizon_s"] = float(found.get("horizon_s", row.get("horizon_s", float("nan"))))
        rows.append(row)
    table = pd.DataFrame(rows)
    return table.sort_values(["tactic", "attack_id", *keys]).reset_index(drop=True)


def citation(manifest: dict[str, Any]) -> dict[str, Any]:
    """What a result on the catalog is cited with, from the run's manifest."""
    versions = manifest.get("versions", {})
    catalog = versions.get("catalog") or {}
    return {
        "run_id": manifest.get("run_id"),
        "scenario": manifest.get("scenario", {}).get("name"),
        "catalog_version": catalog.get("version"),
        "catalog_sha256": catalog.get("sha256"),
        "seed": manifest.get("seed"),
        "lock_sha256": (versions.get("lock") or {}).get("sha256"),
        "commit": (manifest.get("git") or {}).get("commit"),
        "calibration_sha256": manifest.get("calibration_sha256"),
        "stacks": versions.get("stacks") or {},
    }


def _number(value: float, percent: bool = False) -> str:
    if pd.isna(value):
        return "not reached"
    return f"{value:.0%}" if percent else f"{value:,.0f}"


def _interval(value: float, low: float, high: float, percent: bool = False) -> str:
    """``value [low, high]``; a bound that is NaN was not reached (a Kaplan-Meier quantile)."""
    if pd.isna(value):
        return "not reached"
    return f"{_number(value, percent)} [{_number(low, percent)}, {_number(high, percent)}]"


def benchmark_markdown(table: pd.DataFrame, cited: dict[str, Any]) -> str:
    """The table as Markdown, under the citation (``benchmark.csv`` holds every number)."""

    def intervals(value: str, percent: bool = False) -> list[str]:
        low, high = (
            (f"{value}_ci_low", f"{value}_ci_high")
            if percent
            else (f"{value.removesuffix('_s')}_ci_low_s", f"{value.removesuffix('_s')}_ci_high_s")
        )
        return [
            _interval(v, lo, hi, percent)
            for v, lo, hi in zip(table[value], table[low], table[high], strict=True)
        ]

    shown = pd.DataFrame(
        {
            "ATT&CK": table["attack_id"],
            "technique": table["technique"],
            "architecture": table["architecture"],
            "n": table["ran"].astype(int),
            "detected [95 % CI]": intervals("detected_fraction", percent=True),
            "remediated [95 % CI]": intervals("remediated_fraction", percent=True),
            "TTD median s [95 % CI]": intervals("detect_km_median_s"),
            "TTD RMST s [95 % CI]": intervals("detect_rmst_s"),
            "TTR median s [95 % CI]": intervals("remediate_km_median_s"),
            "TTR RMST s [95 % CI]": intervals("remediate_rmst_s"),
        }
    )
    horizon = table["horizon_s"].min() if len(table) else float("nan")
    stacks = ", ".join(f"{n} {d[:12]}" for n, d in sorted(cited["stacks"].items())) or "none"
    catalog = (
        f"catalog v{cited['catalog_version']}"
        if cited["catalog_version"] is not None
        else "the catalog (version not recorded: a run older than the manifest's catalog field)"
    )
    header = [
        f"# Benchmark: {cited['scenario']} on {catalog}",
        "",
        f"- run: `{cited['run_id']}`; seed {cited['seed']}; commit `{cited['commit']}`",
        f"- {catalog} (sha256 `{cited['catalog_sha256']}`)",
        f"- lock: sha256 `{cited['lock_sha256']}`; calibration sha256 "
        f"`{cited['calibration_sha256']}`",
        f"- registered stacks (sha256 of what builds them): {stacks}",
        "",
        "Detected and remediated: fraction of the trials that ran, Wilson 95 % interval. TTD, TTR: "
        "seconds from the attack to the detection and to the remediation, Kaplan-Meier median "
        "(95 % CI; not reached: under half got there) and restricted mean over "
        f"{horizon:,.0f} s (a trial not there counts the horizon). Every number: {BENCHMARK_CSV}.",
    ]
    return "\n".join([*header, "", shown.to_markdown(index=False), ""])


def write_benchmark(run_dir: Path) -> tuple[Path, Path] | None:
    """Write ``benchmark.csv`` and ``benchmark.md`` of a run with a manifest and trials (None:
    nothing to write)."""
    manifest_path = run_dir / MANIFEST
    if not manifest_path.exists():
        return None
    trials = load_trials(run_dir)
    if trials.empty:
        return None
    manifest = json.loads(manifest_path.read_text())
    window = observation_window_s(trials, manifest.get("scenario", {}))
    table = benchmark_table(trials, window)
    cited = citation(manifest)
    csv_path, md_path = run_dir / BENCHMARK_CSV, run_dir / BENCHMARK_MD
    scalars = {k: v for k, v in cited.items() if k != "stacks"}
    table.assign(**scalars, stacks=json.dumps(cited["stacks"], sort_keys=True)).to_csv(
        csv_path, index=False
    )
    md_path.write_text(benchmark_markdown(table, cited))
    return csv_path, md_path
