"""Sweeps and repetitions: a scenario with ``sweep:`` or ``repeat:`` is a set of points, each an
ordinary run in ``RUN_DIR/points/<point>/`` (its own manifest, trials, events and calibration).

Every combination of the swept values is run ``repeat`` times. Repetition r has its own seed
(repetition 0 keeps the scenario's seed; the others come from ``numpy.random.SeedSequence``), the same
at every point of the sweep: common random numbers, so a difference between two points is the
parameter's doing, not the draws'. The sweep's own ``manifest.json`` lists the points; a killed sweep
resumes point by point (each point resumes trial by trial).
"""

from __future__ import annotations

import copy
import itertools
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from lab.experiment.plan import RunPlan
from lab.experiment.results import POINTS_DIR, finish_manifest, short_name, start_manifest
from lab.experiment.runner import run_plan
from lab.experiment.scenario import Scenario, ScenarioError, validation_problems
from lab.experiment.target import Target
from lab.seeds import Stream, stream_seed
from lab.sim.calibration import Calibration, scale_distribution

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Point:
    """One combination of swept values, at one repetition."""

    id: str
    values: dict[str, Any]
    repeat: int
    scenario: Scenario  # concrete: no sweep, one repetition
    calibration: Calibration

    @property
    def label(self) -> str:
        shown = ", ".join(f"{short_name(k)}={v}" for k, v in self.values.items())
        return f"{self.id} ({shown})" if shown else self.id


def repeat_seed(seed: int, repeat: int) -> int:
    """The seed of repetition ``repeat`` (0 keeps ``seed``)."""
    if repeat == 0:
        return seed
    return stream_seed(seed, Stream.REPETITION, repeat)


def _set_calibration(raw: dict[str, Any], key: str, value: Any) -> None:
    path = key.split(".")[1:]
    node = raw
    for i, part in enumerate(path[:-1]):
        if not isinstance(node, dict) or part not in node:
            raise ScenarioError(
                f"sweep {key!r}: the calibration has no {'.'.join(path[: i + 1])!r}"
            )
        node = node[part]
    leaf = path[-1]
    if leaf == "scale" and isinstance(node, dict) and "distribution" in node:
        # Stretch a whole distribution (its shape kept): the usual sensitivity sweep.
        scale_distribution(node, float(value))
        node["source"] = f"{' '.join(str(node['source']).split())} [swept: scaled x{value}]"
        return
    if not isinstance(node, dict) or node.get(leaf) is None:
        known = sorted(k for k, v in node.items() if v is not None and k not in ("source",))
        raise ScenarioError(
            f"sweep {key!r}: no parameter {leaf!r} there; it has {', '.join(known)}"
        )
    node[leaf] = value
    if "source" in node:
        node["source"] = f"{' '.join(str(node['source']).split())} [swept: {leaf} = {value}]"


def _combinations(scenario: Scenario) -> list[tuple[Any, ...]]:
    """The swept values of each point, in the order of ``scenario.sweep``'s keys: every
    combination (grid), or the baselines (each key's first value) and each other value of one key
    with the others at their baselines (one-at-a-time)."""
    values = list(scenario.sweep.values())
    if scenario.sweep_design == "grid":
        return list(itertools.product(*values)) or [()]
    baseline = tuple(v[0] for v in values)
    found = [baseline]
    for k, choices in enumerate(values):
        for choice in choices[1:]:
            combo = (*baseline[:k], choice, *baseline[k + 1 :])
            if combo not in found:
                found.append(combo)
    return found


def points(scenario: Scenario, calibration: Calibration) -> list[Point]:
    """Every point of ``scenario``, in run order (sweep combinations, then repetitions).

    Raises ``ScenarioError`` naming the first swept key or value the calibration or scenario refuses.
    """
    keys = list(scenario.sweep)
    combos = _combinations(scenario)
    base = scenario.model_dump(mode="json", exclude={"sweep", "repeat"})
    found = []
    for index, combo in enumerate(combos):
        values = dict(zip(keys, combo, strict=True))
        raw_scenario = copy.deepcopy(base)
        raw_calibration = calibration.model_dump(mode="json")
        for key, value in values.items():
            head, _, rest = key.partition(".")
            if head == "calibration":
                _set_calibration(raw_calibration, key, value)
            elif head == "cspm":
                raw_scenario["cspm"] = {**(raw_scenario.get("cspm") or {}), rest: value}
            elif head == "architectures":
                arch, _, variable = rest.partition(".")
                raw_scenario["architectures"][arch][variable] = value
            else:
                raw_scenario[key] = value
        try:
            point_calibration = Calibration.model_validate(raw_calibration)
            if "operator" in values:
                point_calibration.operator(str(values["operator"]))
        except ValidationError as exc:
            raise ScenarioError(f"sweep point {values}: {validation_problems(exc)}") from exc
        except KeyError as exc:
            raise ScenarioError(f"sweep point {values}: {exc.args[0]}") from exc
        for r in range(scenario.repeat):
            raw_scenario["seed"] = repeat_seed(scenario.seed, r)
            try:
                concrete = Scenario.model_validate(raw_scenario)
            except ValidationError as exc:
                raise ScenarioError(f"sweep point {values}: {validation_problems(exc)}") from exc
            problem = concrete.person_problem(point_calibration)
            if problem:
                raise ScenarioError(f"sweep point {values}: {problem}")
            found.append(Point(f"p{index:03d}-r{r}", values, r, concrete, point_calibration))
    return found


def run_sweep(
    plan: RunPlan,
    run_dir: Path,
    target: Target,
    progress: Progress | None = None,
    jobs: int | None = None,
    cluster: Any | None = None,
) -> Path:
    """Run (or resume) every point of ``plan``'s scenario on ``target`` into ``run_dir/points/``;
    return ``run_dir``. Each point is a plan of its own (its scenario, its calibration written to
    its folder). With a Dask ``cluster`` the points run at once, their units sharing its workers
    (each point's results in its own folder, as one by one)."""
    scenario = plan.scenario
    found = points(scenario, plan.calibration)
    start_manifest(
        run_dir,
        scenario,
        plan.calibration_source,
        plan.calibration,
        kind="sweep",
        sweep=scenario.sweep,
        repeat=scenario.repeat,
        points=[
            {"id": p.id, "values": p.values, "repeat": p.repeat, "seed": p.scenario.seed}
            for p in found
        ],
    )
    started = time.perf_counter()
    per_point = len(scenario.architectures) * len(scenario.techniques) * scenario.trials
    total = per_point * len(found)
    notify = progress or (lambda *_: None)
    done_by_point: dict[str, int] = {}
    lock = threading.Lock()

    def run_point(point: Point):
        point_dir = run_dir / POINTS_DIR / point.id
        point_dir.mkdir(parents=True, exist_ok=True)
        calibration_file = point_dir / "calibration.yaml"
        text = yaml.safe_dump(point.calibration.model_dump(mode="json"), sort_keys=False)
        calibration_file.write_text(text)

        def step(description: str, done: int, _total: int) -> None:
            with lock:
                done_by_point[point.id] = done
                notify(f"{point.id} {description}", sum(done_by_point.values()), total)

        run_plan(
            plan.with_calibration(point.scenario, text, calibration_file),
            point_dir,
            step,
            jobs=jobs,
            target=target,
            cluster=cluster,
        )

    try:
        if cluster is None:
            for point in found:
                run_point(point)
        else:
            with ThreadPoolExecutor(max_workers=len(found), thread_name_prefix="point") as pool:
                for future in [pool.submit(run_point, point) for point in found]:
                    future.result()
    except BaseException:
        finish_manifest(run_dir, "interrupted")
        raise
    finish_manifest(
        run_dir, "complete", wall_time_s_last_session=round(time.perf_counter() - started, 1)
    )
    return run_dir
