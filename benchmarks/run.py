"""Speed and scale of the lab itself: one command (`make bench`), a table, and a JSON file.

Measured in one run, on this machine:
- the emulator's cost per API call (boto3 over HTTP), with the recorder and without it (bare moto);
- the cost of one `aws` CLI process;
- EventBridge pattern matching throughput (moto's matcher: one pattern, and every rule the stack
  deploys over a synthetic CloudTrail stream), CloudWatch Logs filter-pattern throughput (the 15 CIS
  filters), and the synthetic stream's generation rate;
- the aws CLI's cost per call as its own process and through the fork server;
- Terraform apply / destroy and the manual baseline's deploy / teardown wall time;
- per-trial wall time of each architecture against its floor (every API call the trial made, the
  simulated services' read-backs included, x the measured cost per call + its `aws` CLI runs x the
  measured cost of one through the fork server + its
  Lambda environment starts x the measured cost of starting one through the worker fork server),
  and virtual-time compression;
- per technique and architecture (``--techniques``, default every technique of the catalog): CPU
  per trial (this process, the `aws` CLI's forked children, the scripts' bash) against its floor
  (its API calls x the emulator's CPU per call + its `aws` runs x the CPU of one through the fork
  server), flagged over 1.5x (``benchmarks/trial_profile.py`` measures it);
- peak memory (this process and its children);
- with ``--campaign SCENARIO``: the whole scenario's wall time and virtual-time compression.

``--keep`` also writes ``docs/reference-runs/bench.json`` (``lab.report.bench_page``), which
``lab reference write`` renders into docs/scaling.md; ``--out-root DIR`` writes it and the JSON of
``results/benchmarks/`` under DIR instead of the repository (the tests do).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from moto.events.models import EventPattern
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from rich.console import Console
from rich.table import Table

from lab.architectures.manual import ManualArchitecture
from lab.architectures.serverless import ServerlessArchitecture
from lab.attacks.lifecycle import TechniqueRun
from lab.attacks.registry import technique
from lab.attacks.registry import techniques as registered_techniques
from lab.emulator import EmulatorServer
from lab.experiment.scenario import Scenario
from lab.experiment.target import TrialRequest
from lab.experiment.trial import run_trial
from lab.paths import REPO_ROOT, RESULTS_DIR
from lab.report import bench_page
from lab.sim.calibration import Calibration
from lab.sim.cloudtrail import as_eventbridge_event

sys.path.insert(0, str(Path(__file__).resolve().parent))
import trial_profile  # beside this script

# As in the ready-made scenarios: alerts reach a person, so a trial ends once it is handled (without a
# subscription a serverless trial runs to max_trial_s, a day of alarm evaluations).
OPTIONS: dict[str, dict[str, str]] = {
    "serverless": {"alert_email": "security@example.com"},
    "manual": {},
}


def _median_s(fn, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def _ec2(url: str) -> Any:
    """An EC2 client on the emulator at ``url``, its first (connection-making) call made."""
    client = boto3.client(
        "ec2",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="AKIALABHARNESS000001",
        aws_secret_access_key="x",
    )
    client.describe_security_groups()
    return client


def call_cost(url: str) -> float:
    client = _ec2(url)
    return _median_s(client.describe_security_groups, 200)


def all_techniques() -> list[str]:
    """Every technique of the catalog."""
    return sorted(registered_techniques())


def call_cpu(url: str, calls: int = 200) -> float:
    """CPU seconds of one boto3 call to the emulator in this process (client and server)."""
    client = _ec2(url)
    started = time.process_time()
    for _ in range(calls):
        client.describe_security_groups()
    return (time.process_time() - started) / calls


def cli_cpu(env: dict[str, str], children: trial_profile.ChildCpu, runs: int = 20) -> float:
    """CPU seconds of one `aws` command through the fork server: its forked child, and this
    process's (the emulator answering its call, the caller waiting)."""
    command = ["aws", "sts", "get-caller-identity"]
    subprocess.run(command, env=env, capture_output=True, check=True)
    children.since_last()
    started = time.process_time()
    for _ in range(runs):
        subprocess.run(command, env=env, capture_output=True, check=True)
    return (time.process_time() - started + children.since_last()) / runs


def technique_table(
    emulator: EmulatorServer,
    workdir: Path,
    children: trial_profile.ChildCpu,
    techniques: list[str],
    trials: int,
    call_cpu_s: float,
    cli_cpu_s: float,
) -> list[dict[str, Any]]:
    """Per technique and architecture: CPU per trial against its floor."""
    scenario = Scenario.model_validate(
        {
            "name": "bench-techniques",
            "seed": 1,
            "trials": trials,
            "techniques": techniques,
            "architectures": {arch: dict(options) for arch, options in OPTIONS.items()},
        }
    )
    rows = []
    for arch in OPTIONS:
        rows += trial_profile.profile_arm(
            scenario, arch, techniques, trials, emulator, workdir / arch, children, warm_up=True
        )
    for row in rows:
        row["cpu_per_trial_s"] = trial_profile._all_cpu(row)
        row["floor_s"] = row["api_calls"] * call_cpu_s + row["cli_runs"] * cli_cpu_s
        row["over_floor_x"] = row["cpu_per_trial_s"] / row["floor_s"] if row["floor_s"] else 0.0
    return rows


def print_technique_table(console: Console, rows: list[dict[str, Any]]) -> None:
    table = Table(title="CPU per trial against its floor, per technique (this machine)")
    for column in ("technique", "arch", "CPU s", "calls", "aws runs", "floor s", "x floor", ""):
        table.add_column(
            column, justify="left" if column in ("technique", "arch") else "right", no_wrap=True
        )
    limit = bench_page.OVER_FLOOR_X
    for row in sorted(rows, key=lambda r: -r["cpu_per_trial_s"]):
        table.add_row(
            row["technique"],
            row["architecture"],
            f"{row['cpu_per_trial_s']:.3f}",
            f"{row['api_calls']:.0f}",
            f"{row['cli_runs']:.0f}",
            f"{row['floor_s']:.3f}",
            f"{row['over_floor_x']:.2f}",
            f"> {limit}" if row["over_floor_x"] > limit else "",
        )
    console.print(table)


def worker_start_cost(forked: bool) -> float:
    """Seconds to start a Lambda execution environment and run one trivial event: forked from the
    worker fork server (``forked``), or a new interpreter importing boto3."""
    from lab.sim import lambda_runtime

    folder = Path(tempfile.mkdtemp(prefix="lab-bench-lambda-"))
    (folder / "handler.py").write_text(
        "import boto3\n\ndef handler(event, context):\n    return 1\n"
    )
    saved = os.environ.get(lambda_runtime.FORK_ENV)
    os.environ[lambda_runtime.FORK_ENV] = "1" if forked else "0"

    def run() -> None:
        process, stdin, stdout = lambda_runtime._start_worker(
            [str(folder), "handler.handler"], dict(os.environ)
        )
        environment = lambda_runtime._Environment(process, stdin, stdout, "sha")
        assert environment.call({"event": {}, "context": {}}, 30)["ok"]
        environment.close()

    try:
        run()
        return _median_s(run, 5)
    finally:
        if saved is None:
            os.environ.pop(lambda_runtime.FORK_ENV, None)
        else:
            os.environ[lambda_runtime.FORK_ENV] = saved


def plain_cli_env(env: dict[str, str]) -> dict[str, str]:
    """``env`` without the fork server: every ``aws`` call its own process."""
    return {k: v for k, v in env.items() if k != "LAB_AWS_CLI_SOCKET"} | {
        "PATH": os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if "lab-aws-cli-" not in p)
    }


def cli_cost(env: dict[str, str]) -> float:
    def run() -> None:
        subprocess.run(
            ["aws", "sts", "get-caller-identity"], env=env, capture_output=True, check=True
        )

    run()
    return _median_s(run, 5)


def matcher_throughput(records: int = 50_000) -> float:
    pattern = EventPattern.load(
        json.dumps(
            {
                "source": ["aws.ec2"],
                "detail-type": ["AWS API Call via CloudTrail"],
                "detail": {
                    "eventSource": ["ec2.amazonaws.com"],
                    "eventName": ["AuthorizeSecurityGroupIngress"],
                },
            }
        )
    )
    names = ["DescribeInstances", "AuthorizeSecurityGroupIngress", "RunInstances", "CreateTags"]
    events = [
        as_eventbridge_event(
            {
                "eventID": str(i),
                "eventSource": "ec2.amazonaws.com",
                "eventName": names[i % 4],
                "eventTime": "2026-01-05T09:00:00Z",
                "awsRegion": "us-east-1",
                "recipientAccountId": "123456789012",
                "requestParameters": {"groupId": f"sg-{i}"},
            }
        )
        for i in range(records)
    ]
    started = time.perf_counter()
    matched = sum(pattern.matches_event(e) for e in events)
    elapsed = time.perf_counter() - started
    assert matched == records // 4
    return records / elapsed


def synthetic_records(count: int = 200_000) -> tuple[list[dict], float]:
    """A synthetic CloudTrail stream of ``count`` records, and its generation rate (records/s)."""
    from lab.sim.synthetic import stream

    started = time.perf_counter()
    records = [r for _, r in stream(count, datetime(2026, 1, 5, tzinfo=UTC), 86_400, seed=1)]
    return records, len(records) / (time.perf_counter() - started)


def eventbridge_throughput(records: list[dict], patterns: list[str]) -> float:
    """Records per second through every pattern of ``patterns`` (the deployed rules), as the
    simulated default bus matches them (moto's matcher behind its exact pre-check)."""
    from lab.sim.event_patterns import CompiledPattern

    loaded = [CompiledPattern(p) for p in patterns]
    events = [as_eventbridge_event(r) for r in records]
    started = time.perf_counter()
    for event in events:
        for pattern in loaded:
            pattern.matches_event(event)
    return len(events) / (time.perf_counter() - started)


def log_filter_throughput(records: list[dict]) -> float:
    """Records per second through the 15 CIS metric-filter patterns (JSON log events)."""
    from lab.paths import TERRAFORM_DIR
    from lab.sim.patterns import log_pattern_matches

    filters = json.loads((TERRAFORM_DIR / "modules" / "cis_alarms" / "filters.json").read_text())
    patterns = [control["pattern"] for control in filters["controls"]]
    lines = [json.dumps(r, separators=(",", ":")) for r in records]
    started = time.perf_counter()
    for line in lines:
        for pattern in patterns:
            log_pattern_matches(pattern, line)
    return len(lines) / (time.perf_counter() - started)


def campaign(scenario_path: Path, out: Path) -> dict[str, float]:
    """Run a whole scenario; its wall time and virtual-time compression (virtual / wall)."""
    from lab.experiment.runner import run_scenario
    from lab.experiment.scenario import load_scenario
    from lab.targets.emulated import EmulatedTarget

    scenario = load_scenario(scenario_path)
    started = time.perf_counter()
    run_dir = run_scenario(scenario, out / scenario.name, target=EmulatedTarget())
    wall = time.perf_counter() - started
    spans: dict[tuple, list[float]] = {}
    for line in (run_dir / "events.jsonl").read_text().splitlines():
        event = json.loads(line)
        key = (event["technique"], event["architecture"], event["trial"])
        spans.setdefault(key, []).append(event["t_s"])
    virtual = sum(max(v) - min(0.0, min(v)) for v in spans.values())
    return {
        f"campaign_{scenario.name}_trials": float(len(spans)),
        f"campaign_{scenario.name}_wall_s": wall,
        f"campaign_{scenario.name}_compression_x": virtual / wall,
    }


def trials(emulator: EmulatorServer, arch: str, workdir: Path, count: int = 5) -> dict[str, float]:
    """Means over ``count`` trials after one warm-up trial (which pays what a run pays once: the
    fork servers' start, the first boto3 clients, the Lambda code download)."""
    scenario = Scenario.model_validate(
        {
            "name": "bench",
            "seed": 1,
            "trials": count + 1,
            "techniques": ["ec2-sg-open-ssh"],
            "architectures": {arch: OPTIONS[arch]},
        }
    )
    life = TechniqueRun(technique("ec2-sg-open-ssh"), emulator.endpoints)
    life.warm_up()
    walls, virtuals, calls, processes, workers = [], [], [], [], []
    calibration = Calibration.load()

    def request(k: int) -> TrialRequest:
        return TrialRequest(scenario, calibration, life, arch, k, workdir)

    run_trial(emulator, request(count))
    for k in range(count):
        before = emulator.recorder.sequence
        started = time.perf_counter()
        _, events = run_trial(emulator, request(k))
        walls.append(time.perf_counter() - started)
        virtuals.append(max(e["t_s"] for e in events))
        # Every call the trial made to the account: the attacker's, the scripts', the Lambdas', and
        # the simulated services' reads of the deployed configuration.
        api_calls = emulator.recorder.sequence - before
        # Each `aws` command in the detector and runbook scripts makes exactly one call.
        cli = sum(
            1
            for e in events
            if e["kind"] == "api_call" and e.get("actor") in ("monitor", "operator")
        )
        # A Lambda cold start starts one execution environment (forked from the worker server).
        cold = sum(1 for e in events if e["kind"] == "lambda.invoked" and e.get("cold_start"))
        calls.append(api_calls - cli)
        processes.append(cli)
        workers.append(cold)
    return {
        "wall_s": statistics.mean(walls),
        "virtual_s": statistics.mean(virtuals),
        "api_calls": statistics.mean(calls),
        "cli_processes": statistics.mean(processes),
        "lambda_workers": statistics.mean(workers),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--campaign",
        type=Path,
        help="Also run this scenario whole and report its wall time and compression "
        "(e.g. scenarios/demo.yaml, scenarios/full-matrix.yaml).",
    )
    parser.add_argument(
        "--techniques",
        default="all",
        help="the per-technique table's techniques: all (the catalog), none, or a,b,c",
    )
    parser.add_argument("--trials", type=int, default=1, help="trials per technique and arm")
    parser.add_argument(
        "--keep",
        action="store_true",
        help="also write docs/reference-runs/bench.json, the numbers docs/scaling.md shows",
    )
    parser.add_argument(
        "--out-root",
        type=Path,
        default=REPO_ROOT,
        help="write docs/reference-runs/bench.json and results/benchmarks/ under this folder "
        "(default: the repository)",
    )
    args = parser.parse_args()
    if args.keep and bench_page.dirty(REPO_ROOT):
        print(
            "warning: the checkout has uncommitted changes: bench.json records dirty: true "
            "(commit first for numbers the docs can quote)",
            file=sys.stderr,
        )
    console = Console(width=120)
    results: dict[str, float] = {}
    rows: list[dict[str, Any]] = []
    # Before any fork server starts: their children report their CPU to this file.
    children = trial_profile.ChildCpu(Path(tempfile.mkstemp(prefix="lab-fork-cpu-")[1]))
    with EmulatorServer() as emulator:
        results["emulator_call_ms"] = 1000 * call_cost(emulator.url)
        bare = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        bare.start()
        try:
            host, port = bare.get_host_and_port()
            results["bare_moto_call_ms"] = 1000 * call_cost(f"http://{host}:{port}")
        finally:
            bare.stop()
        env = {**os.environ, **emulator.endpoints.cli_env("baseline")}
        results["cli_process_s"] = cli_cost(plain_cli_env(env))
        results["cli_fork_call_s"] = cli_cost(env)
        results["cli_fork_gain_x"] = results["cli_process_s"] / results["cli_fork_call_s"]
        results["emulator_call_cpu_ms"] = 1000 * call_cpu(emulator.url)
        results["cli_fork_run_cpu_ms"] = 1000 * cli_cpu(env, children)
        results["lambda_worker_process_s"] = worker_start_cost(forked=False)
        results["lambda_worker_start_s"] = worker_start_cost(forked=True)
        results["matcher_records_per_s"] = matcher_throughput()
        records, results["synthetic_stream_records_per_s"] = synthetic_records()
        results["log_filter_cis15_records_per_s"] = log_filter_throughput(records[:50_000])
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            for name, arch in (
                ("serverless", ServerlessArchitecture(variables=dict(OPTIONS["serverless"]))),
                ("manual", ManualArchitecture()),
            ):
                emulator.reset()
                started = time.perf_counter()
                arch.deploy(emulator.endpoints, work / name)
                results[f"{name}_deploy_s"] = time.perf_counter() - started
                if name == "serverless":
                    events = emulator.endpoints.client("events", "observer")
                    patterns = [
                        r["EventPattern"]
                        for r in events.list_rules()["Rules"]
                        if r.get("EventPattern")
                    ]
                    results["eventbridge_deployed_rules"] = float(len(patterns))
                    results["matcher_stack_rules_records_per_s"] = eventbridge_throughput(
                        records[:50_000], patterns
                    )
                stats = trials(emulator, name, work / name)
                started = time.perf_counter()
                arch.destroy(emulator.endpoints, work / name)
                results[f"{name}_destroy_s"] = time.perf_counter() - started
                floor = (
                    stats["api_calls"] * results["emulator_call_ms"] / 1000
                    + stats["cli_processes"] * results["cli_fork_call_s"]
                    + stats["lambda_workers"] * results["lambda_worker_start_s"]
                )
                results[f"{name}_trial_wall_s"] = stats["wall_s"]
                results[f"{name}_trial_floor_s"] = floor
                results[f"{name}_overhead_vs_floor_x"] = (
                    stats["wall_s"] / floor if floor else float("nan")
                )
                results[f"{name}_compression_x"] = stats["virtual_s"] / stats["wall_s"]
        if args.techniques != "none":
            chosen = all_techniques() if args.techniques == "all" else args.techniques.split(",")
            with tempfile.TemporaryDirectory() as tmp:
                rows = technique_table(
                    emulator,
                    Path(tmp),
                    children,
                    chosen,
                    args.trials,
                    results["emulator_call_cpu_ms"] / 1000,
                    results["cli_fork_run_cpu_ms"] / 1000,
                )
            results["techniques_over_floor_limit"] = float(
                sum(1 for r in rows if r["over_floor_x"] > bench_page.OVER_FLOOR_X)
            )
        if args.campaign:
            with tempfile.TemporaryDirectory() as tmp:
                results |= campaign(args.campaign, Path(tmp))
    results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results["peak_rss_children_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    table = Table(title="lab benchmarks (this machine)")
    for column in ("measure", "value", "target"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    for key, value in results.items():
        target = bench_page.target(key)
        table.add_row(key, f"{value:,.3f}", target.shown() if target else "")
    console.print(table)
    if rows:
        print_technique_table(console, rows)
    out = args.out_root / RESULTS_DIR / "benchmarks" / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "machine": os.uname().nodename,
                "cpus": os.cpu_count(),
                "python": sys.version.split()[0],
                "results": results,
                "techniques": rows,
            },
            indent=2,
        )
    )
    console.print(f"written: {out}")
    if args.keep:
        bench_page.keep(
            args.out_root,
            {
                "campaign": args.campaign.as_posix() if args.campaign else None,
                "techniques": args.techniques,
                "trials": args.trials,
            },
            results,
            rows,
        )
        console.print(
            f"written: {args.out_root / bench_page.BENCH} (`lab reference write` puts it in docs/)"
        )


if __name__ == "__main__":
    main()
