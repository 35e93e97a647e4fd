"""The monitoring instance's cron in virtual time: the deployed detector scripts, run for real.

The schedule, the scripts and their environment are read back from the instance's user data
(DescribeInstanceAttribute), so what runs is what was deployed; nothing runs while the instance is
not running. Each run executes the real script with the real ``aws`` CLI against the emulator.

Jobs on the same schedule start at the same minute, as cron starts them: they run concurrently
(real processes in parallel), then their calls are delivered together.

One saving, exact: a detector's answer depends only on what its ``aws`` commands read and on its
own state file. If nothing it reads changed since its previous run in this trial, the answer cannot
differ, so the run is counted but not executed. What it reads comes from the script's syntax tree
(``lab.sim.detector_reads``): writes to the services it calls, and for ``cloudtrail lookup-events``
the event history (of one user when it filters by Username). Its runtime is drawn whether it runs
or not, and the delays its calls cause come from streams of their own (``Simulation.draw``), so a
skipped run changes nothing else in the trial: ``LAB_CRON_SKIP=0`` executes every run, with the
same trial results (tested). Each trial starts the detectors afresh (no state, a first run of every
one), so a trial's timeline does not depend on the trials before it, and a resumed run equals an
uninterrupted one.
"""

from __future__ import annotations

import base64
import itertools
import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from croniter import croniter

from lab import settings
from lab.sim.detector_reads import Reads, detector_reads
from lab.sim.kernel import Simulation
from lab.sim.reachability import Reachability
from lab.sim.readback import Readback
from lab.sim.user_data import read_user_data

# "0": execute every run (the slow way the skipping is tested against)
SKIP_ENV = settings.Settings.variable("cron_skip")

_CRON_LINE = re.compile(r"^(\S+\s+\S+\s+\S+\s+\S+\s+\S+)\s+root\s+.*?/opt/lab/detectors/(\S+\.sh)")
_SCRIPT_BLOCK = re.compile(r"base64 -d > /opt/lab/detectors/(\S+\.sh) <<'B64'\n(.*?)\nB64", re.S)
_ENV_BLOCK = re.compile(r"cat > /etc/lab/detectors.env <<'ENV'\n(.*?)\nENV", re.S)


@dataclass(frozen=True)
class CronJob:
    instance_id: str
    schedule: str
    script_name: str
    script: bytes
    env: dict[str, str]
    files: dict[str, bytes] = field(default_factory=dict)  # everything under /opt/lab/detectors


def detectors_env(user_data: str) -> dict[str, str]:
    """The environment a monitoring instance's user data gives its jobs (/etc/lab/detectors.env)."""
    env_match = _ENV_BLOCK.search(user_data)
    if not env_match:
        return {}
    return dict(line.split("=", 1) for line in env_match.group(1).splitlines() if "=" in line)


def parse_user_data(instance_id: str, user_data: str) -> list[CronJob]:
    """The cron jobs a monitoring instance's user data installs."""
    scripts = {name: base64.b64decode(body) for name, body in _SCRIPT_BLOCK.findall(user_data)}
    env = detectors_env(user_data)
    jobs = []
    for line in user_data.splitlines():
        match = _CRON_LINE.match(line)
        if match and match.group(2) in scripts:
            jobs.append(
                CronJob(
                    instance_id,
                    match.group(1),
                    match.group(2),
                    scripts[match.group(2)],
                    env,
                    scripts,
                )
            )
    return jobs


class Cron:
    """Runs every detector job of every running lab monitoring instance on its schedule."""

    def __init__(self, sim: Simulation, state_dir: Path):
        self.sim = sim
        self.state_dir = state_dir
        self.ec2 = sim.endpoints.client("ec2", "observer")
        self.runs_executed = 0
        self.runs_skipped = 0
        self.skipping = settings.current().cron_skip
        self._last_runs: dict[str, int] = {}  # job -> recorder sequence when it last ran
        self._instance_states: Readback[bool] = Readback(sim.recorder, {"ec2.amazonaws.com"})
        self._reachable = Reachability(sim.recorder, self.ec2)
        shutil.rmtree(state_dir, ignore_errors=True)  # detectors start afresh each trial
        key = lambda job: (job.instance_id, job.schedule)  # noqa: E731
        for _, group in itertools.groupby(sorted(self.jobs(), key=key), key=key):
            sim.env.process(self._loop(list(group)))

    def jobs(self) -> list[CronJob]:
        jobs = []
        for instance_id, user_data in self._user_data():
            jobs += parse_user_data(instance_id, user_data)
        return jobs

    def environment(self) -> dict[str, str]:
        """The jobs' environment on a running monitoring instance ({}: none runs)."""
        for _, user_data in self._user_data():
            env = detectors_env(user_data)
            if env:
                return env
        return {}

    def _user_data(self) -> list[tuple[str, str]]:
        """(instance id, user data) of every running monitoring instance."""
        reservations = self.ec2.describe_instances(
            Filters=[
                {"Name": "tag:lab:architecture", "Values": ["manual"]},
                {"Name": "instance-state-name", "Values": ["running"]},
            ]
        )["Reservations"]
        found = []
        for reservation in reservations:
            for instance in reservation["Instances"]:
                user_data = read_user_data(self.ec2, instance["InstanceId"])
                if user_data:
                    found.append((instance["InstanceId"], user_data))
        return found

    def _running(self, instance_id: str) -> bool:
        """Is the instance running? Read back again only after an EC2 write (what stops it)."""

        def read() -> bool:
            found = self.ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
            return bool(found) and found[0]["Instances"][0]["State"]["Name"] == "running"

        return self._instance_states.get(read, instance_id)

    def _stale(self, job: CronJob) -> bool:
        """Could a run of ``job`` now answer differently from its previous run?"""
        last = self._last_runs.get(f"{job.instance_id}/{job.script_name}")
        if last is None or not self.skipping:
            return True
        reads: Reads = detector_reads(job.script, job.files)
        recorder = self.sim.recorder
        if reads.everything:
            return recorder.sequence > last
        if reads.sources and recorder.last_write(set(reads.sources), data=False) > last:
            return True
        if reads.data_sources and recorder.last_write(set(reads.data_sources)) > last:
            return True
        if reads.history is None:
            return recorder.last_history(None) > last
        return bool(reads.history) and recorder.last_history(reads.history) > last

    def _loop(self, jobs: list[CronJob]):
        first = jobs[0]
        schedule = croniter(first.schedule, self.sim.now_datetime())
        while True:
            fire = schedule.get_next(type(self.sim.epoch))
            yield self.sim.env.timeout(
                max(0.0, (fire - self.sim.now_datetime()) / timedelta(seconds=1))
            )
            if not self._running(first.instance_id):
                self.sim.log("cron.instance_not_running", instance=first.instance_id)
                continue
            reachable, why = self._reachable(first.instance_id)
            if not reachable:  # every detector's first call would time out
                self.sim.log("cron.no_route_to_aws", instance=first.instance_id, reason=why)
                continue
            # Drawn for every run, executed or not: the stream does not depend on the skipping.
            runtime_s = self.sim.draw("detector_runtime_s")
            due = [job for job in jobs if self._stale(job)]
            self.runs_skipped += len(jobs) - len(due)
            if not due:
                self.sim.log("cron.run_skipped_no_change", jobs=len(jobs))
                continue
            yield self.sim.env.timeout(runtime_s)
            self._execute(due)

    def _install(self, job: CronJob) -> Path:
        """Write the detector files as the user data lays them out; return the directory."""
        bin_dir = self.state_dir / "detectors"
        for name, body in job.files.items():
            path = bin_dir / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists() or path.read_bytes() != body:
                path.write_bytes(body)
                path.chmod(0o755)
        return bin_dir

    def _execute(self, jobs: list[CronJob]) -> None:
        self.runs_executed += len(jobs)
        bin_dir = self._install(jobs[0])
        for job in jobs:
            self._last_runs[f"{job.instance_id}/{job.script_name}"] = self.sim.recorder.sequence
        env = {
            **os.environ,
            **jobs[0].env,
            **self.sim.endpoints.cli_env("monitor"),
            "LAB_DETECTOR_STATE_DIR": str(self.state_dir),
        }

        def run(job: CronJob) -> subprocess.CompletedProcess[str]:
            return subprocess.run(
                ["bash", str(bin_dir / job.script_name)],
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
            )

        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            results = list(pool.map(run, jobs))
        self.sim.pump(concurrent=len(jobs) > 1, cron=True)
        for job, result in zip(jobs, results, strict=True):
            alerts = sum(1 for line in result.stdout.splitlines() if line.startswith("alerted: "))
            self.sim.log(
                "cron.ran",
                job=job.script_name,
                exit_code=result.returncode,
                alerts=alerts,
                stderr=result.stderr[-500:] or None,
            )
            if alerts:
                self.sim.detected("detector.alerted", f"cron:{job.script_name[:-3]}", alerts=alerts)
