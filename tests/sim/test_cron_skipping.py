"""The cron's skipping is exact: a run that executes every detector run (LAB_CRON_SKIP=0) gives the
same trial results as one that skips the runs that cannot answer differently; and what a detector
reads is told from its syntax tree, not from text that only looks like a command."""

import csv
import os
import subprocess
from pathlib import Path

from lab.paths import REPO_ROOT
from lab.sim.detector_reads import EVERYTHING, detector_reads
from tests.lab_command import LAB

SCENARIO = """
name: cron-skipping
seed: 11
trials: 1
techniques: [ec2-ssh-brute-force, root-account-usage, iam-create-access-key-other-user]
architectures:
  manual: {}
"""
DETECTORS = REPO_ROOT / "cli-baseline" / "detectors"


def _run(tmp_path: Path, name: str, skip: str) -> tuple[list[dict[str, str]], list[str]]:
    scenario = tmp_path / "cron.yaml"
    scenario.write_text(SCENARIO)
    out = tmp_path / name
    subprocess.run(
        [
            *LAB,
            "run",
            str(scenario),
            "--out",
            str(out),
            "--jobs",
            "1",
            "--no-report",
        ],
        env={**os.environ, "LAB_CRON_SKIP": skip},
        check=True,
        capture_output=True,
        timeout=900,
    )
    (run_dir,) = (out / "cron-skipping").iterdir()
    with (run_dir / "trials.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    kinds = [
        line for line in (run_dir / "events.jsonl").read_text().splitlines() if "cron." in line
    ]
    return rows, kinds


def test_skipping_runs_changes_no_trial_result(tmp_path):
    every, every_cron = _run(tmp_path, "every", "0")
    skipped, skipped_cron = _run(tmp_path, "skipped", "1")
    assert skipped == every
    executed = lambda lines: sum('"cron.ran"' in line for line in lines)  # noqa: E731
    # The saving is real: fewer runs executed, and none skipped in the slow way.
    assert executed(skipped_cron) < executed(every_cron)
    assert not any("run_skipped_no_change" in line for line in every_cron)


def _files() -> dict[str, bytes]:
    return {str(p.relative_to(DETECTORS)): p.read_bytes() for p in DETECTORS.rglob("*.sh")}


def test_what_the_deployed_detectors_read():
    files = _files()
    reads = {name: detector_reads(files[name], files) for name in files if "/" not in name}
    # The alert text of iam-new-principals quotes "aws cloudtrail lookup-events": not a call.
    assert reads["iam-new-principals.sh"].sources == {"iam.amazonaws.com"}
    assert reads["iam-new-principals.sh"].history == set()
    # LookupEvents filtered by Username=root reads the root user's history only.
    assert reads["root-activity.sh"].history == {"root"} and not reads["root-activity.sh"].sources
    assert reads["monitoring-disabled.sh"].sources == {
        "guardduty.amazonaws.com",
        "config.amazonaws.com",
    }
    assert not any(r.everything for r in reads.values())
    # S3's bucket settings do not change with objects (the trail's own log files are objects).
    assert reads["s3-public-buckets.sh"].sources == {"s3.amazonaws.com"}
    assert not reads["s3-public-buckets.sh"].data_sources
    assert reads["sg-open-world.sh"].data_sources == {"ec2.amazonaws.com"}


def test_what_cannot_be_told_makes_a_detector_depend_on_everything():
    lib = {"lib/alert.sh": b'alert() { aws sns publish --message "$1"; }\n'}
    assert detector_reads(b'x=$(aws "$svc" describe-x)\n', {}) == EVERYTHING
    assert detector_reads(b"xargs aws ec2 describe-vpcs\n", {}) == EVERYTHING
    assert detector_reads(b'eval "$cmd"\n', {}) == EVERYTHING
    assert detector_reads(b'source "$(dirname "$0")/lib/other.sh"\n', lib) == EVERYTHING
    sourced = detector_reads(b'source "$(dirname "$0")/lib/alert.sh"\naws kms list-keys\n', lib)
    assert sourced.sources == {"kms.amazonaws.com"} and not sourced.everything
    assert detector_reads(b"aws cloudtrail lookup-events --max-results 5\n", {}).history is None
    objects = detector_reads(b"aws s3api list-objects-v2 --bucket b\n", {})
    assert objects.data_sources == {"s3.amazonaws.com"}
