"""Speed and scale of the lab itself: one command (`make bench`), a table, and a JSON file.

Measured in one run, on this machine:
- the emulator's cost per API call (boto3 over HTTP), with the recorder and without it (bare moto);
- the cost of one `aws` CLI process;
- EventBridge pattern matching throughput (moto's matcher, the stack's real pattern);
- Terraform apply / destroy and the manual baseline's deploy / teardown wall time;
- per-trial wall time of each architecture against its floor (the trial's API calls x the measured
  cost per call + its processes, `aws` CLI runs and Lambda worker starts, x the measured process
  cost), and virtual-time compression;
- peak memory (this process and its children).
"""

from __future__ import annotations

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

import boto3
from moto.events.models import EventPattern
from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from rich.console import Console
from rich.table import Table

from lab.architectures.manual import ManualArchitecture
from lab.architectures.serverless import ServerlessArchitecture
from lab.attacks.registry import technique
from lab.emulator import EmulatorServer
from lab.experiment.scenario import Scenario
from lab.experiment.trial import run_trial
from lab.paths import RESULTS_DIR
from lab.sim.calibration import Calibration
from lab.sim.cloudtrail import as_eventbridge_event

TARGETS = {"matcher_records_per_s": 50_000, "compression_x": 1_000, "overhead_vs_floor_x": 1.5}


def _median_s(fn, repeat: int) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def call_cost(url: str) -> float:
    client = boto3.client(
        "ec2",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="AKIALABHARNESS000001",
        aws_secret_access_key="x",
    )
    client.describe_security_groups()
    return _median_s(client.describe_security_groups, 200)


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


def trials(emulator: EmulatorServer, arch: str, workdir: Path, count: int = 5) -> dict[str, float]:
    scenario = Scenario.model_validate(
        {
            "name": "bench",
            "seed": 1,
            "trials": count,
            "techniques": ["ec2-sg-open-ssh"],
            "architectures": {arch: {}},
        }
    )
    t = technique("ec2-sg-open-ssh")
    prerequisites = t.warm_up(emulator.endpoints)
    walls, virtuals, calls, processes = [], [], [], []
    for k in range(count):
        started = time.perf_counter()
        _, events = run_trial(
            emulator, scenario, Calibration.load(), t, prerequisites, arch, k, workdir
        )
        walls.append(time.perf_counter() - started)
        virtuals.append(max(e["t_s"] for e in events))
        api_calls = [e for e in events if e["kind"] == "api_call"]
        # Each `aws` command in the detector and runbook scripts makes exactly one call.
        cli = sum(1 for e in api_calls if e.get("actor") in ("monitor", "operator"))
        # A Lambda cold start starts one worker process (an interpreter importing boto3).
        cold = sum(1 for e in events if e["kind"] == "lambda.invoked" and e.get("cold_start"))
        calls.append(len(api_calls) - cli)
        processes.append(cli + cold)
    return {
        "wall_s": statistics.mean(walls),
        "virtual_s": statistics.mean(virtuals),
        "api_calls": statistics.mean(calls),
        "cli_processes": statistics.mean(processes),
    }


def main() -> None:
    console = Console()
    results: dict[str, float] = {}
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
        results["cli_process_s"] = cli_cost(env)
        results["matcher_records_per_s"] = matcher_throughput()
        with tempfile.TemporaryDirectory() as tmp:
            work = Path(tmp)
            for name, arch in (
                ("serverless", ServerlessArchitecture()),
                ("manual", ManualArchitecture()),
            ):
                emulator.reset()
                started = time.perf_counter()
                arch.deploy(emulator.endpoints, work / name)
                results[f"{name}_deploy_s"] = time.perf_counter() - started
                stats = trials(emulator, name, work / name)
                started = time.perf_counter()
                arch.destroy(emulator.endpoints, work / name)
                results[f"{name}_destroy_s"] = time.perf_counter() - started
                floor = (
                    stats["api_calls"] * results["emulator_call_ms"] / 1000
                    + stats["cli_processes"] * results["cli_process_s"]
                )
                results[f"{name}_trial_wall_s"] = stats["wall_s"]
                results[f"{name}_trial_floor_s"] = floor
                results[f"{name}_overhead_vs_floor_x"] = (
                    stats["wall_s"] / floor if floor else float("nan")
                )
                results[f"{name}_compression_x"] = stats["virtual_s"] / stats["wall_s"]
    results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    results["peak_rss_children_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024

    table = Table(title="lab benchmarks (this machine)")
    for column in ("measure", "value", "target"):
        table.add_column(column, justify="left" if column == "measure" else "right")
    for key, value in results.items():
        target = next(
            (
                f">= {v:,}" if not k.startswith("overhead") else f"<= {v}"
                for k, v in TARGETS.items()
                if key.endswith(k)
            ),
            "",
        )
        table.add_row(key, f"{value:,.3f}", target)
    console.print(table)
    out = RESULTS_DIR / "benchmarks" / f"{datetime.now(UTC):%Y%m%dT%H%M%SZ}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "machine": os.uname().nodename,
                "cpus": os.cpu_count(),
                "python": sys.version.split()[0],
                "results": results,
            },
            indent=2,
        )
    )
    console.print(f"written: {out}")


if __name__ == "__main__":
    main()
