"""A kept deploy restored into a fresh account is the deploy: the same resources and ids, the same
event history, the same trials; a replay the emulator answers otherwise falls back to a real deploy."""

from __future__ import annotations

import json
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import pytest

from lab.architectures import snapshot
from lab.emulator import EmulatorServer
from lab.experiment.runner import run_scenario
from lab.experiment.scenario import load_scenario
from lab.targets.emulated import EmulatedTarget


@dataclass
class QueueAndTopic:
    """A small architecture made of real API calls, with a state file in its folder."""

    run_id: str = "run-a1"
    name: str = "small"
    replayable: ClassVar[bool] = True
    deploys: ClassVar[int] = 0

    def deploy(self, endpoints, workdir: Path) -> dict:
        QueueAndTopic.deploys += 1
        url = endpoints.client("sqs").create_queue(QueueName=f"q-{self.run_id}")["QueueUrl"]
        topic = endpoints.client("sns").create_topic(Name=f"t-{self.run_id}")["TopicArn"]
        endpoints.client("iam").create_role(
            RoleName=f"r-{self.run_id}", AssumeRolePolicyDocument=json.dumps({"Statement": []})
        )
        ec2 = endpoints.client("ec2")
        vpc = ec2.create_vpc(
            CidrBlock="10.9.0.0/16",
            TagSpecifications=[
                {"ResourceType": "vpc", "Tags": [{"Key": "lab:run-id", "Value": self.run_id}]}
            ],
        )["Vpc"]["VpcId"]
        ec2.create_subnet(VpcId=vpc, CidrBlock="10.9.1.0/24")  # names an id the account made
        workdir.mkdir(parents=True, exist_ok=True)
        (workdir / "state.json").write_text(json.dumps({"queue": url, "dir": str(workdir)}))
        return {"queue": url, "topic": topic}


def _account(emulator) -> dict:
    e = emulator.endpoints
    return {
        "queues": e.client("sqs").list_queues().get("QueueUrls", []),
        "topics": [t["TopicArn"] for t in e.client("sns").list_topics()["Topics"]],
        "roles": [(r["RoleName"], r["RoleId"]) for r in e.client("iam").list_roles()["Roles"]],
        "history": [(r["eventName"], r["eventSource"]) for r in emulator.recorder.records()],
    }


def _deploy(emulator, tmp_path, run_id: str, folder: str) -> tuple[dict, dict]:
    """A deploy into a fresh account opened for ``run_id``, as a run's worker opens it."""
    emulator.reset()
    emulator.ids.mask(run_id)  # ids do not depend on the run's name
    outputs = snapshot.deploy(
        QueueAndTopic(run_id), emulator, tmp_path / folder, {}, emulator.reset
    )
    return outputs, _account(emulator)


def _kept(root: Path) -> list[Path]:
    """The snapshots in ``root`` (beside them: their lock files)."""
    return [path for path in root.iterdir() if path.is_dir()]


def _deploy_in_own_process(root: str, run_id: str, workdir: str) -> tuple[dict, dict, int]:
    """A run's worker: its own process, emulator and account, the snapshots shared."""
    os.environ[snapshot.SNAPSHOTS_ENV] = root
    with EmulatorServer() as emulator:
        emulator.ids.mask(run_id)
        outputs = snapshot.deploy(
            QueueAndTopic(run_id), emulator, Path(workdir), {}, emulator.reset
        )
        return outputs, _account(emulator), QueueAndTopic.deploys


def test_two_workers_deploying_one_recipe_at_once_make_it_once(tmp_path):
    """Workers of one run (or pytest's) share the snapshots: the second waits for the first's
    deploy and replays it into its own account (on another port), and neither reads a snapshot
    another is replacing."""
    runs = ("run-a1", "run-b2")
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        done = pool.map(
            _deploy_in_own_process,
            [str(tmp_path / "kept")] * 2,
            runs,
            [str(tmp_path / run_id) for run_id in runs],
        )
        (out_a, account_a, deploys_a), (out_b, account_b, deploys_b) = done
    assert deploys_a + deploys_b == 1, "both workers deployed for real, or neither did"
    assert len(_kept(tmp_path / "kept")) == 1
    assert json.dumps([out_b, account_b]).replace("run-b2", "run-a1").replace(
        _port(out_b), _port(out_a)
    ) == json.dumps([out_a, account_a])
    for run_id in runs:
        state = json.loads((tmp_path / run_id / "state.json").read_text())
        assert state["dir"] == str((tmp_path / run_id).resolve())


def _port(outputs: dict) -> str:
    return outputs["queue"].split("/")[2]


def test_a_kept_deploy_replays_as_the_real_deploy_with_each_run_s_id(
    emulator, tmp_path, monkeypatch
):
    monkeypatch.setenv(snapshot.SNAPSHOTS_ENV, "0")
    QueueAndTopic.deploys = 0
    _, real = _deploy(emulator, tmp_path, "run-a1", "real")
    monkeypatch.setenv(snapshot.SNAPSHOTS_ENV, str(tmp_path / "kept"))
    made_out, made = _deploy(emulator, tmp_path, "run-b2", "made")
    again_out, again = _deploy(emulator, tmp_path, "run-c3", "again")
    assert QueueAndTopic.deploys == 2, "the third deploy was not a replay of the second's"
    # Ids, history and outputs as the real deploy's, each run's own id where the run id goes.
    assert json.dumps(made).replace("run-b2", "run-a1") == json.dumps(real)
    assert json.dumps(again).replace("run-c3", "run-b2") == json.dumps(made)
    assert again_out["queue"].endswith("/q-run-c3") and made_out["queue"].endswith("/q-run-b2")
    state = json.loads((tmp_path / "again" / "state.json").read_text())
    assert state == {"queue": again_out["queue"], "dir": str((tmp_path / "again").resolve())}


def test_a_replay_answered_otherwise_deploys_for_real(emulator, tmp_path, monkeypatch):
    monkeypatch.setenv(snapshot.SNAPSHOTS_ENV, str(tmp_path / "kept"))
    QueueAndTopic.deploys = 0
    _deploy(emulator, tmp_path, "run-a1", "first")
    (kept,) = _kept(tmp_path / "kept")
    lines = (kept / "requests.jsonl").read_text().splitlines()
    tampered = json.loads(lines[-1]) | {"status": 418}  # the emulator will not answer that
    (kept / "requests.jsonl").write_text("\n".join([*lines[:-1], json.dumps(tampered)]) + "\n")
    outputs, account = _deploy(emulator, tmp_path, "run-b2", "second")
    assert QueueAndTopic.deploys == 2
    assert account["queues"] == [outputs["queue"]], "the half-replayed account was not reopened"
    assert not kept.exists(), "a snapshot the emulator no longer agrees with is dropped"


def test_an_account_that_masks_no_run_id_replays_too(emulator, tmp_path, monkeypatch):
    """A test's or a live lab's account leaves the run id in its ids' keys: the kept deploy, made
    with the stand-in, still replays (the ids of its VPC are the ones its subnet names)."""
    monkeypatch.setenv(snapshot.SNAPSHOTS_ENV, str(tmp_path / "kept"))
    QueueAndTopic.deploys = 0
    for folder in ("one", "two"):
        emulator.reset()
        snapshot.deploy(QueueAndTopic("run-a1"), emulator, tmp_path / folder, {}, emulator.reset)
        subnets = emulator.endpoints.client("ec2").describe_subnets()["Subnets"]
        assert [s["CidrBlock"] for s in subnets if s["CidrBlock"] == "10.9.1.0/24"]
    assert QueueAndTopic.deploys == 1, "a replay fell back to a real deploy"


def test_turned_off_or_not_replayable_every_deploy_is_real(emulator, tmp_path, monkeypatch):
    monkeypatch.setenv(snapshot.SNAPSHOTS_ENV, "0")
    QueueAndTopic.deploys = 0
    _deploy(emulator, tmp_path, "run-a1", "one")
    _deploy(emulator, tmp_path, "run-a1", "two")
    assert QueueAndTopic.deploys == 2
    monkeypatch.setenv(snapshot.SNAPSHOTS_ENV, str(tmp_path / "kept"))

    @dataclass
    class Timed(QueueAndTopic):
        replayable: ClassVar[bool] = False

    emulator.reset()
    snapshot.deploy(Timed(), emulator, tmp_path / "three", {}, emulator.reset)
    assert not (tmp_path / "kept").exists()


@pytest.mark.terraform
def test_a_run_on_the_kept_serverless_stack_gives_the_bytes_of_a_run_on_a_real_deploy(
    tmp_path, monkeypatch
):
    """The same scenario with every deploy real (``LAB_SNAPSHOTS=0``) and with the stack replayed
    from its kept deploy: the trials and the timeline are byte-identical. The run ids are named as
    ``lab run`` names them (a UTC time and a digest: text no request holds otherwise), of one
    length, as records' sizes count."""
    path = tmp_path / "s.yaml"
    path.write_text(
        "name: kept\nseed: 5\ntrials: 2\ntechniques: [ec2-sg-open-ssh, iam-create-access-key-other-user]\n"
        "architectures:\n  serverless: {alert_email: security@example.com}\n"
    )
    scenario = load_scenario(path)
    monkeypatch.setenv(snapshot.SNAPSHOTS_ENV, "0")
    real = run_scenario(scenario, tmp_path / "20261206T000001Z-0a1b2c3d", target=EmulatedTarget())
    monkeypatch.setenv(snapshot.SNAPSHOTS_ENV, str(tmp_path / "kept"))
    replayed = run_scenario(
        scenario, tmp_path / "20261206T000002Z-0a1b2c3d", target=EmulatedTarget()
    )
    (kept,) = _kept(tmp_path / "kept")
    assert json.loads((kept / "snapshot.json").read_text())["requests"] > 100
    assert (real / "trials.csv").read_text() == (replayed / "trials.csv").read_text()
    assert (real / "events.jsonl").read_text() == (replayed / "events.jsonl").read_text()
    assert len((real / "trials.csv").read_text().splitlines()) == 1 + 4
