"""The simulated manual pipeline against a real CLI deployment: cron detectors, alerts, the person."""

from lab.architectures.manual import ManualArchitecture
from tests.sim.test_simulation import TECHNIQUE, _trial


def test_manual_path_detects_by_cron_and_the_operator_runs_the_runbook(emulator, tmp_path):
    arch = ManualArchitecture(detectors=("cron",))  # the polling path alone
    arch.deploy(emulator.endpoints, tmp_path)
    try:
        row, events, prerequisites = _trial(emulator, tmp_path, "manual")
        assert row["outcome"] == "remediated", row
        assert row["detection_source"] == "cron:sg-open-world"
        assert row["remediated_by"] == "operator:sg-open-world"
        # Cron */5 and injection in [settle, settle + 300): detection within one period (+ runtime).
        assert 0 < row["time_to_detect_s"] <= 300 + 60
        assert row["time_to_detect_s"] < row["time_to_alert_s"] < row["time_to_remediate_s"]
        done = next(e for e in events if e["kind"] == "operator.runbook_done")
        assert done["exit_code"] == 0 and done["commands"] == 4
        assert TECHNIQUE.is_remediated(emulator.endpoints, prerequisites)
        # The same trial (same injection moment) with a student who reads mail at 09:00 and 18:00.
        student, student_events, _ = _trial(
            emulator, tmp_path, "manual", operator="student-lab", max_trial_s=86_400
        )
        assert student["time_to_detect_s"] == row["time_to_detect_s"]
        assert student["time_to_remediate_s"] > row["time_to_remediate_s"] + 3600
        assert any(e["kind"] == "operator.off_duty" for e in student_events)
    finally:
        arch.destroy(emulator.endpoints, tmp_path)


def test_manual_detector_does_not_run_when_the_instance_is_stopped(emulator, tmp_path):
    arch = ManualArchitecture(detectors=("cron",))  # the polling path alone
    state = arch.deploy(emulator.endpoints, tmp_path)
    try:
        emulator.endpoints.client("ec2").stop_instances(InstanceIds=[state["INSTANCE_ID"]])
        row, events, _ = _trial(emulator, tmp_path, "manual", max_trial_s=3600)
        assert row["outcome"] == "missed"
        assert not any(e["kind"] == "cron.ran" for e in events)
    finally:
        arch.destroy(emulator.endpoints, tmp_path)
