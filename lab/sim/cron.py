"""The monitoring instance's cron in virtual time: the deployed detector scripts, run for real.

The schedule, the scripts and their environment are read back from the instance's user data
(DescribeInstanceAttribute), so what runs is what was deployed; nothing runs while the instance is
not running. Each run executes the real script with the real ``aws`` CLI against the emulator.

One saving, exact by construction: if no call has changed the account since the previous run, the
detector's answer cannot differ (its input and its own state are the same), so the run is counted
but not executed.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from croniter import croniter

from lab.sim.kernel import Simulation

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


def parse_user_data(instance_id: str, user_data: str) -> list[CronJob]:
    """The cron jobs a monitoring instance's user data installs."""
    scripts = {name: base64.b64decode(body) for name, body in _SCRIPT_BLOCK.findall(user_data)}
    env_match = _ENV_BLOCK.search(user_data)
    env = (
        dict(line.split("=", 1) for line in env_match.group(1).splitlines() if "=" in line)
        if env_match
        else {}
    )
    jobs = []
    for line in user_data.splitlines():
        match = _CRON_LINE.match(line)
        if match and match.group(2) in scripts:
            jobs.append(
                CronJob(instance_id, match.group(1), match.group(2), scripts[match.group(2)], env)
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
        for job in self.jobs():
            sim.env.process(self._loop(job))

    def jobs(self) -> list[CronJob]:
        reservations = self.ec2.describe_instances(
            Filters=[
                {"Name": "tag:lab:architecture", "Values": ["manual"]},
                {"Name": "instance-state-name", "Values": ["running"]},
            ]
        )["Reservations"]
        jobs = []
        for reservation in reservations:
            for instance in reservation["Instances"]:
                attr = self.ec2.describe_instance_attribute(
                    InstanceId=instance["InstanceId"], Attribute="userData"
                )
                raw = attr.get("UserData", {}).get("Value")
                if raw:
                    jobs += parse_user_data(instance["InstanceId"], base64.b64decode(raw).decode())
        return jobs

    def _running(self, instance_id: str) -> bool:
        found = self.ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
        return bool(found) and found[0]["Instances"][0]["State"]["Name"] == "running"

    def _loop(self, job: CronJob):
        schedule = croniter(job.schedule, self.sim.now_datetime())
        last_run_s = float("-inf")
        while True:
            fire = schedule.get_next(type(self.sim.epoch))
            yield self.sim.env.timeout(
                max(0.0, (fire - self.sim.now_datetime()) / timedelta(seconds=1))
            )
            if not self._running(job.instance_id):
                self.sim.log("cron.instance_not_running", instance=job.instance_id)
                continue
            if self.sim.last_change_s < last_run_s:
                self.runs_skipped += 1
                self.sim.log("cron.run_skipped_no_change", job=job.script_name)
                continue
            yield self.sim.env.timeout(self.sim.draw("detector_runtime_s"))
            last_run_s = self.sim.now
            self._execute(job)

    def _execute(self, job: CronJob) -> None:
        self.runs_executed += 1
        self.state_dir.mkdir(parents=True, exist_ok=True)
        script = self.state_dir / job.script_name
        script.write_bytes(job.script)
        script.chmod(0o755)
        env = {
            **os.environ,
            **job.env,
            **self.sim.endpoints.cli_env("monitor"),
            "LAB_DETECTOR_STATE_DIR": str(self.state_dir),
        }
        result = subprocess.run(
            ["bash", str(script)], env=env, capture_output=True, text=True, timeout=120
        )
        records = self.sim.pump()
        published = [r for r in records if r["eventName"] == "Publish" and not r.get("errorCode")]
        self.sim.log(
            "cron.ran",
            job=job.script_name,
            exit_code=result.returncode,
            alerts=len(published),
            stderr=result.stderr[-500:] or None,
        )
        if published:
            self.sim.log(
                "detector.alerted",
                detection=True,
                source=f"cron:{job.script_name[:-3]}",
                alerts=len(published),
            )
