"""benchmarks/module_trace.py: the path of a run from `lab run` to trials.csv never climbs back up."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _module_trace():
    spec = importlib.util.spec_from_file_location(
        "module_trace", ROOT / "benchmarks" / "module_trace.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["module_trace"] = module
    spec.loader.exec_module(module)
    return module


module_trace = _module_trace()


def test_layers_read_from_the_import_contracts() -> None:
    ranks = module_trace.layer_ranks(ROOT / "pyproject.toml")
    strata, inside = ranks[0], ranks[1]
    assert strata["lab.cli"] > strata["lab.experiment"] > strata["lab.sim"]
    assert strata["lab.experiment"] == strata["lab.targets"]
    assert inside["lab.targets"] > inside["lab.experiment"] > inside["lab.emulator"]


def test_direction_tells_a_climb_from_an_object_handed_down() -> None:
    ranks = module_trace.layer_ranks(ROOT / "pyproject.toml")
    imports = grimp.build_graph("lab")
    # The runner calls the target it was handed (lab.targets is above lab.experiment), not imported.
    assert (
        module_trace.direction(ranks, imports, "lab.experiment.runner", "lab.targets.emulated")
        == "up"
    )
    assert (
        module_trace.direction(ranks, imports, "lab.cli.experiments", "lab.experiment.campaign")
        == ""
    )
    assert (
        module_trace.direction(ranks, imports, "lab.experiment.plan", "lab.experiment.scenario")
        == ""
    )
    # A module that imports one above it (no such import passes lint-imports, so add one here).
    imports.add_import(importer="lab.sim.engine", imported="lab.experiment.runner")
    assert (
        module_trace.direction(ranks, imports, "lab.sim.engine", "lab.experiment.runner") == "climb"
    )


@pytest.mark.integration
def test_a_run_from_the_cli_to_trials_csv_never_climbs_back_up() -> None:
    trace = module_trace.trace_run()
    counts = trace.counts()
    assert counts["climbs back up (the caller imports the callee)"] == 0, trace.stops
    assert trace.modules[0] == "lab.cli.experiments"
    assert trace.modules[-1] == "lab.experiment.store"
    assert counts["load_scenario calls"] == 1
    assert counts["Calibration.load calls"] <= 1  # the plan reads the calibration once
