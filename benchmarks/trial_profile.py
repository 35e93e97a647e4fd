"""Where a trial's time goes, per technique: run a scenario's trials in this process under cProfile
and print, per technique and architecture, CPU per trial (this process, the emulator's threads
included), API calls, `aws` CLI runs and Lambda cold starts per trial, then the top functions.

    .venv/bin/python benchmarks/trial_profile.py SCENARIO.yaml [--top 30] [--techniques a,b] [--out F]

Each architecture is deployed once (the kept deploy, as a run does) into one emulated account;
each technique is warmed up once and its trials run as a worker runs them
(``lab.experiment.worker.run_unit``). The emulator serves each request on a thread of its own, so
every request is profiled on its thread (CPU time of that thread) and the profiles are added up. The forked children of the
fork servers (each `aws` command, each Lambda environment) report their CPU through
``LAB_FORK_CPU_LOG`` (nobody reaps them, so it is counted nowhere else): "child CPU". Compare CPU,
not wall time, on a shared machine.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import pstats
import resource
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from lab.architectures.registry import build
from lab.attacks.lifecycle import TechniqueRun
from lab.attacks.registry import technique as get_technique
from lab.emulator.server import EmulatorServer
from lab.experiment.scenario import load_scenario
from lab.experiment.target import TrialRequest
from lab.seeds import Stream, stream_seed
from lab.sim.calibration import Calibration
from lab.targets.emulated import EmulatedAccount


class ProfiledApp:
    """The emulator's WSGI app with each request profiled on the thread that serves it."""

    def __init__(self, app: Any):
        self._app = app
        self._lock = threading.Lock()
        self.profiles: list[cProfile.Profile] = []
        self.on = False

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if not self.on:
            return self._app(environ, start_response)
        profile = cProfile.Profile(time.thread_time)
        profile.enable()
        try:
            return list(self._app(environ, start_response))
        finally:
            profile.disable()
            with self._lock:
                self.profiles.append(profile)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._app, name)


class _Off:
    """A profiler that does nothing (``--no-profile``)."""

    def enable(self) -> None: ...

    def disable(self) -> None: ...


class ChildCpu:
    """CPU seconds the fork servers' children reported (``LAB_FORK_CPU_LOG``)."""

    def __init__(self, path: Path):
        self.path = path
        self.offset = 0
        path.write_text("")
        os.environ["LAB_FORK_CPU_LOG"] = str(path)

    def since_last(self) -> float:
        with self.path.open() as log:
            log.seek(self.offset)
            lines = log.read()
            self.offset = log.tell()
        return sum(float(u) + float(s) for _, u, s in (ln.split() for ln in lines.splitlines()))


def _waited_cpu() -> float:
    """CPU of this process's children it waited for (the scripts' bash processes)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def cli_runs(events: list[dict[str, Any]]) -> int:
    """`aws` commands the detector and runbook scripts ran (each makes exactly one call)."""
    return sum(
        1 for e in events if e["kind"] == "api_call" and e.get("actor") in ("monitor", "operator")
    )


def profile_arm(
    scenario: Any,
    arm: str,
    techniques: list[str],
    trials: int,
    emulator: EmulatorServer,
    workdir: Path,
    children: ChildCpu,
    client: cProfile.Profile | _Off | None = None,
    served: ProfiledApp | None = None,
    warm_up: bool = False,
) -> list[dict[str, Any]]:
    """Deploy ``arm`` and run ``trials`` trials of each technique; one row per technique.
    ``warm_up``: first one trial more, not counted, for what a run pays once per technique and
    process (moto makes a service's backend on its first call)."""
    client = client or _Off()
    served = served or ProfiledApp(None)
    calibration = Calibration.load()
    account = EmulatedAccount(emulator, run_id="profile")
    account.open()
    started = time.perf_counter()
    account.deploy(build(arm, "profile", scenario.arm_options(arm)), workdir)
    print(f"{arm}: deployed in {time.perf_counter() - started:.1f} s", flush=True)
    rows = []
    for technique_id in techniques:
        account.seed(stream_seed(scenario.seed, Stream.PREREQUISITES, technique_id))
        life = TechniqueRun(get_technique(technique_id), account.endpoints, "profile")
        cpu = wall = child = waited = 0.0
        calls = clis = colds = 0
        with life.warm():
            if warm_up:
                account.trial(TrialRequest(scenario, calibration, life, arm, trials, workdir))
            for trial in range(trials):
                request = TrialRequest(scenario, calibration, life, arm, trial, workdir)
                before = emulator.recorder.sequence
                children.since_last()
                wall0, cpu0, waited0 = time.perf_counter(), time.process_time(), _waited_cpu()
                served.on = True
                client.enable()
                _, events = account.trial(request)
                client.disable()
                served.on = False
                cpu += time.process_time() - cpu0
                child += children.since_last()
                waited += _waited_cpu() - waited0
                wall += time.perf_counter() - wall0
                clis += cli_runs(events)
                calls += emulator.recorder.sequence - before - cli_runs(events)
                colds += sum(
                    1 for e in events if e["kind"] == "lambda.invoked" and e.get("cold_start")
                )
        rows.append(
            {
                "technique": technique_id,
                "architecture": arm,
                "cpu_s": cpu / trials,
                "child_cpu_s": child / trials,
                "subprocess_cpu_s": waited / trials,
                "wall_s": wall / trials,
                "api_calls": calls / trials,
                "cli_runs": clis / trials,
                "lambda_cold_starts": colds / trials,
            }
        )
        print(
            f"  {technique_id:42s} cpu {cpu / trials:5.2f} s  forked {child / trials:5.2f} s  "
            f"bash {waited / trials:5.2f} s  "
            f"wall {wall / trials:6.2f} s  "
            f"calls {calls / trials:6.0f}  cli {clis / trials:4.0f}  cold {colds / trials:3.0f}",
            flush=True,
        )
    return rows


def count_operations() -> dict[str, list[float]]:
    """Per emulated operation (``Class.Action``): [calls, CPU seconds of the serving thread]."""
    from moto.core.responses import BaseResponse

    spent: dict[str, list[float]] = {}
    original = BaseResponse.call_action

    def call_action(self: Any) -> Any:
        started = time.thread_time()
        try:
            return original(self)
        finally:
            name = f"{type(self).__name__}.{self._get_action()}"
            row = spent.setdefault(name, [0, 0.0])
            row[0] += 1
            row[1] += time.thread_time() - started

    BaseResponse.call_action = call_action  # type: ignore[method-assign]
    return spent


def _all_cpu(row: dict[str, Any]) -> float:
    return row["cpu_s"] + row["child_cpu_s"] + row["subprocess_cpu_s"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", type=Path)
    parser.add_argument("--top", type=int, default=30, help="functions to print")
    parser.add_argument("--techniques", help="comma-separated subset of the scenario's")
    parser.add_argument("--architectures", help="comma-separated subset of the scenario's arms")
    parser.add_argument("--trials", type=int, help="trials per technique (default: scenario's)")
    parser.add_argument("--sort", default="tottime", help="pstats sort key")
    parser.add_argument("--out", type=Path, help="write the per-technique rows here (JSON)")
    parser.add_argument("--stats", type=Path, help="write the merged profile here (pstats)")
    parser.add_argument(
        "--warm-up", action="store_true", help="one uncounted trial first, per technique"
    )
    parser.add_argument(
        "--no-profile", action="store_true", help="CPU per trial only (no cProfile overhead)"
    )
    args = parser.parse_args()
    scenario = load_scenario(args.scenario)
    techniques = args.techniques.split(",") if args.techniques else list(scenario.techniques)
    arms = args.architectures.split(",") if args.architectures else list(scenario.architectures)
    trials = args.trials or scenario.trials
    children = ChildCpu(Path(tempfile.mkstemp(prefix="lab-fork-cpu-")[1]))
    client = _Off() if args.no_profile else cProfile.Profile(time.thread_time)
    emulator = EmulatorServer()
    served = ProfiledApp(emulator.capture)
    if not args.no_profile:
        emulator.capture = served  # type: ignore[assignment]
    operations = count_operations()
    rows: list[dict[str, Any]] = []
    with emulator, tempfile.TemporaryDirectory(prefix="lab-profile-") as tmp:
        for arm in arms:
            rows += profile_arm(
                scenario,
                arm,
                techniques,
                trials,
                emulator,
                Path(tmp) / arm,
                children,
                client,
                served,
                args.warm_up,
            )
    if not args.no_profile:
        stats = pstats.Stats(client)
        for profile in served.profiles:
            stats.add(profile)
        if args.stats:
            stats.dump_stats(args.stats)
        text = io.StringIO()
        stats.stream = text  # type: ignore[attr-defined]
        stats.sort_stats(args.sort).print_stats(args.top)
        print(text.getvalue())
    print("emulated operations by CPU (calls, CPU s, ms per call):")
    for name, (calls, cpu) in sorted(operations.items(), key=lambda kv: -kv[1][1])[: args.top]:
        print(f"  {name:60s} {calls:7.0f} {cpu:8.2f} {1000 * cpu / calls:8.2f}")
    total = sum(r["cpu_s"] for r in rows) * trials
    child = sum(r["child_cpu_s"] + r["subprocess_cpu_s"] for r in rows) * trials
    print(f"CPU in trials: {total:.1f} s + children {child:.1f} s, {len(rows) * trials} trials")
    for row in sorted(rows, key=_all_cpu, reverse=True)[:15]:
        print(
            f"  {row['architecture']:12s} {row['technique']:45s} {_all_cpu(row):6.2f} s/trial "
            f"({row['cpu_s']:.2f} + {row['child_cpu_s']:.2f} + {row['subprocess_cpu_s']:.2f})"
        )
    if args.out:
        args.out.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
