"""The modules a scenario passes through from `lab run` to `trials.csv` (issue 43, "Must show").

Runs ``lab run`` in this process (Typer's CliRunner on ``lab.cli:app``) on a tiny scenario (one
technique, one trial, the manual arm, ``--jobs 1``, so every unit runs in this process) under
``sys.setprofile``, and counts, in the main thread:

- a *step*: a Python call from a function of one ``lab.*`` module into a function of another
  (the caller is the nearest ``lab.*`` frame below the callee; calls inside one module are not
  steps; module bodies run by an import, and everything they call, are not traced);
- *stops*: the modules entered by steps, in order, a module entered twice in a row counted once;
- *upward calls*: stops entered by a call from a lower layer into a higher one, the layers being
  those of the ``layers`` contracts of an import-linter configuration (by default this
  repository's ``pyproject.toml``, so two trees are measured with one yardstick; ``--layers``
  picks another); a call goes up if any contract puts the callee's package above the caller's;
- *climbs back up*: the upward calls where the calling module imports the called one (or its
  package; imports inside functions included, read by grimp from the traced tree): a lower module
  that names a higher one. The other upward calls reach a higher module through an object or a
  function handed down to the caller (a target behind the ``Target`` protocol, a progress
  callback): the caller does not depend on it;
- *returns*: stops in a module already left (stops minus distinct modules);
- stops before the run loop: the path from the command to the first call into
  ``lab.experiment.runner`` (where the scenario becomes a run: the inputs' own path);
- how many times the run's inputs are read from their files (``load_scenario``,
  ``Calibration.load``, ``Calibration.parse``), the issue's other sign of inputs that travel as paths.

The trial itself is left out: tracing pauses while ``lab.experiment.trial.run_trial`` runs and
stops when ``TrialStore.finalize`` (which writes ``trials.csv``) returns. So the trace is the path
from the command to the first trial's start, plus the path from the trial's end to ``trials.csv``.

    python benchmarks/module_trace.py              # table and the ordered list of modules
    python benchmarks/module_trace.py --markdown   # the section of docs/architecture.md
    PYTHONPATH=/tmp/before python benchmarks/module_trace.py   # another tree of the lab
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

LAYERS = Path(__file__).resolve().parents[1] / "pyproject.toml"
PAUSE = ("lab.experiment.trial", "run_trial")
RUN_LOOP = "lab.experiment.runner"
LOADS = ("load_scenario", "Calibration.load", "Calibration.parse")
END = ("lab.experiment.store", "finalize")
SCENARIO = """\
name: trace
description: one technique, one trial, the manual arm (benchmarks/module_trace.py).
seed: 20260105
trials: 1
techniques: [{technique}]
architectures:
  manual:
    cron_schedule: "*/5 * * * *"
operator: on-call
start: "2026-01-05T09:00:00Z"
trial_spacing_s: 86400
max_trial_s: 86400
"""


@dataclass
class Trace:
    """Stops (module, entered by a climb) in order, and the calls from one module to another."""

    stops: list[tuple[str, str]] = field(default_factory=list)  # (module, "", "up" or "climb")
    steps: int = 0
    loads: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LOADS, 0))

    @property
    def modules(self) -> list[str]:
        return [module for module, _ in self.stops]

    def counts(self) -> dict[str, int]:
        distinct = len(set(self.modules))
        return {
            "stops": len(self.stops),
            "distinct modules": distinct,
            "upward calls": sum(kind != "" for _, kind in self.stops),
            "climbs back up (the caller imports the callee)": sum(
                kind == "climb" for _, kind in self.stops
            ),
            "returns to modules already left": len(self.stops) - distinct,
            "calls between modules": self.steps,
            "stops before the run loop (lab.experiment.runner)": (
                self.modules.index(RUN_LOOP) if RUN_LOOP in self.modules else len(self.modules)
            ),
            **{f"{name} calls": count for name, count in self.loads.items()},
        }


def layer_ranks(pyproject: Path) -> list[dict[str, int]]:
    """Per ``layers`` contract: package -> height (0 = the lowest layer)."""
    config = tomllib.loads(pyproject.read_text())["tool"]["importlinter"]["contracts"]
    ranks = []
    for contract in config:
        if contract.get("type") != "layers":
            continue
        layers = contract["layers"]
        rank = {}
        for height, layer in enumerate(reversed(layers)):
            for package in layer.replace("|", ":").split(":"):
                rank[package.strip()] = height
        ranks.append(rank)
    return ranks


def direction(ranks: list[dict[str, int]], imports: Any, caller: str, callee: str) -> str:
    """``""`` for a call that stays or goes down, ``"climb"`` for one up a layer of some contract
    into a module the caller imports, ``"up"`` for one up into a module it does not import."""
    a, b = ".".join(caller.split(".")[:2]), ".".join(callee.split(".")[:2])
    if a == b or not any(a in r and b in r and r[b] > r[a] for r in ranks):
        return ""
    parts = callee.split(".")
    named = (".".join(parts[:n]) for n in range(len(parts), 1, -1))
    imported = any(
        imports.direct_import_exists(importer=caller, imported=m)
        for m in named
        if m in imports.modules
    )
    return "climb" if imported else "up"


def _lab_module(frame: FrameType | None) -> str | None:
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if name == "lab" or name.startswith("lab."):
            return name
        frame = frame.f_back
    return None


def trace_run(technique: str = "ec2-sg-open-ssh", layers: Path = LAYERS) -> Trace:
    """``lab run`` of the tiny scenario, traced; raises if the run fails."""
    import grimp
    from typer.testing import CliRunner

    from lab.cli import app

    ranks = layer_ranks(layers)
    imports = grimp.build_graph("lab")
    trace = Trace()
    skip: list[FrameType | None] = [None]  # the frame whose call is not traced (import, trial)
    done = [False]

    def profile(frame: FrameType, event: str, _arg: Any) -> None:
        if done[0] or event not in ("call", "return"):
            return
        if skip[0] is not None:
            if event == "return" and frame is skip[0]:
                skip[0] = None
            return
        code = frame.f_code
        module = frame.f_globals.get("__name__", "")
        if event == "return":
            if (module, code.co_name) == END:
                done[0] = True
            return
        if code.co_name == "<module>":
            skip[0] = frame
            return
        if not (module == "lab" or module.startswith("lab.")):
            return
        if code.co_qualname in trace.loads:
            trace.loads[code.co_qualname] += 1
        caller = _lab_module(frame.f_back)
        if caller != module:
            trace.steps += 1
            if not trace.stops or trace.stops[-1][0] != module:
                kind = "" if caller is None else direction(ranks, imports, caller, module)
                trace.stops.append((module, kind))
        if (module, code.co_name) == PAUSE:
            skip[0] = frame

    with tempfile.TemporaryDirectory(prefix="lab-trace-") as tmp:
        scenario = Path(tmp) / "trace.yaml"
        scenario.write_text(SCENARIO.format(technique=technique))
        # The trace ends at trials.csv: no figures nor report drawn after it.
        args = ["run", str(scenario), "--out", str(Path(tmp) / "results"), "--jobs", "1"]
        args.append("--no-report")
        sys.setprofile(profile)
        try:
            result = CliRunner().invoke(app, args)
        finally:
            sys.setprofile(None)
        written = list((Path(tmp) / "results").glob("trace/*/trials.csv"))
        if result.exit_code != 0 or not written:
            raise RuntimeError(f"lab run failed ({result.exit_code}):\n{result.output}")
    if not done[0]:
        raise RuntimeError("the trace never reached TrialStore.finalize")
    return trace


def markdown(trace: Trace) -> str:
    """The table and the path, as docs/architecture.md shows them."""
    lines = ["| measure | count |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in trace.counts().items()]
    path = " → ".join(f"`{m}`" + (f" ({kind})" if kind else "") for m, kind in trace.stops)
    return "\n".join([*lines, "", f"Path: {path}", ""])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--technique", default="ec2-sg-open-ssh")
    parser.add_argument("--markdown", action="store_true", help="print the docs' section body")
    parser.add_argument(
        "--layers", type=Path, default=LAYERS, help="pyproject.toml whose layers contracts rank"
    )
    options = parser.parse_args()
    trace = trace_run(options.technique, options.layers)
    if options.markdown:
        print(markdown(trace))
        return
    for name, value in trace.counts().items():
        print(f"{name:48} {value:5}")
    print()
    marks = {"": "", "up": "   <- up (an object handed down)", "climb": "   <- CLIMBS BACK UP"}
    for number, (module, kind) in enumerate(trace.stops, 1):
        print(f"{number:3} {module}{marks[kind]}")


if __name__ == "__main__":
    main()
