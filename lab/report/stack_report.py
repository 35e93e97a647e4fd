"""A registered stack against the catalog and the built-in arms of a run: per ATT&CK technique of
the catalog, what each arm did (from ``benchmark_table``), and per arm how many techniques it
detected and how fast."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from lab.architectures.registry import ARCHITECTURES, arm_base
from lab.attacks.registry import techniques
from lab.experiment.results import MANIFEST, load_trials
from lab.report.benchmark import benchmark_table
from lab.report.survival import observation_window_s


class StackReportError(ValueError):
    """The run did not measure the stack, or is not a run."""


def compared_arms(manifest: dict, stack: str) -> list[str]:
    """The run's arms that deploy ``stack``, then its built-in arms (the scenario's order)."""
    arms = manifest.get("scenario", {}).get("architectures", {})
    own = [a for a, o in arms.items() if arm_base(a, o) == stack]
    if not own:
        raise StackReportError(f"the run has no arm of stack {stack!r}; its arms: {list(arms)}")
    return own + [a for a, o in arms.items() if arm_base(a, o) in ARCHITECTURES]


def _cell(row: pd.Series) -> str:
    ran = int(row["ran"])
    detected = round(row["detected_fraction"] * ran) if ran else 0
    ttd = row["detect_km_median_s"]
    when = f", TTD {ttd:,.0f} s" if pd.notna(ttd) else ""
    return f"{row['outcome']} {detected}/{ran}{when}"


def stack_tables(run_dir: Path, stack: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(coverage, totals): one row per catalog technique with a cell per compared arm ("not run":
    the run did not detonate it), and per arm the techniques run, detected in most trials,
    remediated in most trials, and the median over techniques of the Kaplan-Meier TTD median."""
    manifest_path = run_dir / MANIFEST
    if not manifest_path.exists():
        raise StackReportError(f"{run_dir} is not a run directory (no {MANIFEST})")
    manifest = json.loads(manifest_path.read_text())
    arms = compared_arms(manifest, stack)
    trials = load_trials(run_dir)
    trials = trials[trials["architecture"].isin(arms)]
    table = benchmark_table(trials, observation_window_s(trials, manifest.get("scenario", {})))
    cells = {(r["technique"], r["architecture"]): _cell(r) for _, r in table.iterrows()}
    rows = []
    for technique_id, technique in techniques().items():
        mapping = technique.metadata.mitre_attack
        rows.append(
            {
                "tactic": mapping.tactic_name,
                "ATT&CK": mapping.technique_id,
                "technique": technique_id,
                **{arm: cells.get((technique_id, arm), "not run") for arm in arms},
            }
        )
    coverage = pd.DataFrame(rows).sort_values(["tactic", "ATT&CK", "technique"])
    totals = []
    for arm in arms:
        own = table[table["architecture"] == arm]
        totals.append(
            {
                "architecture": arm,
                "techniques run": len(own),
                "detected (most trials)": int((own["detected_fraction"] > 0.5).sum()),
                "remediated (most trials)": int((own["remediated_fraction"] > 0.5).sum()),
                "median TTD s (of technique medians)": float(own["detect_km_median_s"].median()),
            }
        )
    return coverage.reset_index(drop=True), pd.DataFrame(totals)
