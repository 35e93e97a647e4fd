"""``lab calibrate``: measured runs back into the simulator.

From outside an account the probes see one latency per trial, injection to first alert. For each
architecture, the ratio of the measured median to the simulated median of the same scenario (an
emulated run) scales the stages on that architecture's alert path (``alert_paths.yaml``), their
shape kept; a stage on both paths takes the geometric mean of the two ratios. The new file names the
runs it came from in every changed stage's source, with status ``measured``.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from lab.experiment.plan import load_calibration
from lab.experiment.results import load_trials
from lab.report.figures import measured_vs_simulated
from lab.sim.calibration import Calibration, scale_distribution

PATHS_FILE = Path(__file__).with_name("alert_paths.yaml")


class CalibrateError(ValueError):
    """The runs given cannot calibrate anything (no wall-clock run, no alert, no emulated twin)."""


def _alert_medians(run_dirs: list[Path]) -> dict[str, tuple[float, int]]:
    frames = [load_trials(d) for d in run_dirs]
    trials = pd.concat(frames, ignore_index=True)
    out = {}
    for arch, group in trials.groupby("architecture"):
        values = group["time_to_alert_s"].dropna()
        if len(values):
            out[str(arch)] = (float(values.median()), len(values))
    return out


def calibrate(
    measured: list[Path], emulated: list[Path], base: Calibration
) -> tuple[Calibration, pd.DataFrame]:
    """A new calibration from ``measured`` (wall-clock runs) against ``emulated`` (the same
    scenario on the emulator with ``base``); and the table of ratios it applied."""
    for run_dir in measured:
        target = json.loads((run_dir / "manifest.json").read_text()).get("target")
        if target not in ("aws", "aws-stand-in"):
            raise CalibrateError(f"{run_dir} is not a wall-clock run (target {target!r})")
    real, simulated = _alert_medians(measured), _alert_medians(emulated)
    shared = sorted(set(real) & set(simulated))
    if not shared:
        raise CalibrateError(
            "no architecture has alerts in both the measured and the emulated runs"
        )
    paths = yaml.safe_load(PATHS_FILE.read_text())
    ratios = {arch: real[arch][0] / simulated[arch][0] for arch in shared if simulated[arch][0] > 0}
    per_stage: dict[str, list[float]] = {}
    for arch, ratio in ratios.items():
        for stage in paths.get(arch, []):
            per_stage.setdefault(stage, []).append(ratio)
    raw = base.model_dump(mode="json")
    names = ", ".join(str(p) for p in measured)
    for stage, values in per_stage.items():
        factor = float(math.exp(np.mean(np.log(values))))
        node = raw["stages"][stage]
        scale_distribution(node, factor, digits=6)
        node["status"] = "measured"
        node["source"] = (
            f"lab calibrate: x{factor:.3f} of the previous figure, the ratio of the measured to the "
            f"simulated median time to alert in {names}. Before: {' '.join(str(node['source']).split())}"
        )
    table = pd.DataFrame(
        [
            {
                "architecture": arch,
                "measured_median_s": real[arch][0],
                "measured_n": real[arch][1],
                "simulated_median_s": simulated[arch][0],
                "simulated_n": simulated[arch][1],
                "ratio": ratios.get(arch),
            }
            for arch in shared
        ]
    )
    return Calibration.model_validate(raw), table


def write_calibration(calibration: Calibration, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "# Written by `lab calibrate`; use with `lab run --calibration THIS_FILE`.\n"
        + yaml.safe_dump(calibration.model_dump(mode="json", exclude_none=True), sort_keys=False)
    )
    return path


@dataclass
class Fitted:
    path: Path  # the calibration written
    table: pd.DataFrame  # the ratios applied
    figure: Path  # measured and simulated distributions side by side


def fit_and_write(
    measured: list[Path], against: list[Path], calibration: Path | None, out: Path
) -> Fitted:
    """``lab calibrate``: fit, write the calibration to ``out`` and draw both distributions."""
    base = load_calibration(calibration)
    new, table = calibrate(measured, against, base)
    path = write_calibration(new, out)
    both = pd.concat(
        [
            *(load_trials(d).assign(source="measured") for d in measured),
            *(load_trials(d).assign(source="simulated") for d in against),
        ],
        ignore_index=True,
    )
    figure = measured_vs_simulated(both, path.with_suffix(""))[0]
    return Fitted(path, table, figure)
