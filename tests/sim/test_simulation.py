"""The simulated pipelines against real deployments: what is deployed is what detects."""

import json
from pathlib import Path

import pytest

from lab.architectures.serverless import ServerlessArchitecture
from lab.attacks.lifecycle import Stage, TechniqueRun
from lab.attacks.registry import technique
from lab.experiment.scenario import Scenario
from lab.experiment.target import TrialRequest
from lab.experiment.trial import run_trial_row
from lab.sim.calibration import Calibration

TECHNIQUE = technique("ec2-sg-open-ssh")


def run_trial(emulator, scenario, calibration, chosen, prerequisites, architecture, trial, workdir):
    """One trial of a warm technique (its prerequisites made by the test): its row and timeline."""
    life = TechniqueRun(chosen, emulator.endpoints, stage=Stage.WARM, prerequisites=prerequisites)
    request = TrialRequest(scenario, calibration, life, architecture, trial, workdir)
    return run_trial_row(emulator, request)


def _scenario(**overrides) -> Scenario:
    fields = {
        "name": "t",
        "seed": 3,
        "trials": 1,
        "techniques": [TECHNIQUE.id],
        "architectures": {"serverless": {}, "manual": {}},
        "max_trial_s": 6 * 3600,
        "injection": "fixed",
    } | overrides
    return Scenario.model_validate(fields)


def _trial(emulator, workdir: Path, architecture: str, trial: int = 0, **overrides):
    prerequisites = TECHNIQUE.warm_up(emulator.endpoints)
    row, events = run_trial(
        emulator,
        _scenario(**overrides),
        Calibration.load(),
        TECHNIQUE,
        prerequisites,
        architecture,
        trial,
        workdir,
    )
    return row, events, prerequisites


@pytest.fixture(scope="module")
def serverless_stack(session_emulator, tmp_path_factory, deploy_kept):
    """One deployment for the module's serverless tests; each test undoes what it changes."""
    session_emulator.reset()
    workdir = tmp_path_factory.mktemp("serverless")
    arch = ServerlessArchitecture(variables={"alert_email": "security@example.com"})
    deploy_kept(arch, session_emulator, workdir)
    yield session_emulator, workdir
    # No destroy: every user of the session's emulator starts from a reset account (a Terraform
    # destroy here cost a provider start and about 5 s of CPU, and changed nothing).


@pytest.fixture
def serverless(serverless_stack):
    emulator, workdir = serverless_stack
    yield emulator, workdir
    e = emulator.endpoints
    e.client("cloudtrail").start_logging(Name="lab-trail")
    try:
        policy = e.client("lambda").get_policy(FunctionName="lab-remediate-sg")["Policy"]
    except e.client("lambda").exceptions.ResourceNotFoundException:  # no statement left
        policy = ""
    if "AllowEventBridge" not in policy:
        rule_arn = e.client("events").describe_rule(Name="lab-sg-ingress-opened")["Arn"]
        e.client("lambda").add_permission(
            FunctionName="lab-remediate-sg",
            StatementId="AllowEventBridge-sg-ingress-opened",
            Action="lambda:InvokeFunction",
            Principal="events.amazonaws.com",
            SourceArn=rule_arn,
        )


@pytest.mark.terraform
def test_serverless_path_detects_alerts_and_really_fixes_the_group(serverless):
    emulator, workdir = serverless
    row, events, prerequisites = _trial(emulator, workdir, "serverless")
    assert row["outcome"] == "remediated", row
    assert row["detection_source"] == "eventbridge:lab-sg-ingress-opened"
    assert row["remediated_by"] == "lambda:lab-remediate-sg"
    assert 0 < row["time_to_detect_s"] <= row["time_to_remediate_s"]
    assert row["time_to_alert_s"] > 0
    kinds = [e["kind"] for e in events]
    assert (
        kinds.index("technique.detonated")
        < kinds.index("cloudtrail.delivered_to_eventbridge")
        < kinds.index("eventbridge.matched")
        < kinds.index("lambda.invoked")
    )
    invoked = next(e for e in events if e["kind"] == "lambda.invoked")
    assert invoked["cold_start"] is True and invoked["ok"] is True
    # The fix was made in the account by the function's role, and the group is really closed.
    assert TECHNIQUE.is_remediated(emulator.endpoints, prerequisites)
    group = emulator.endpoints.client("ec2").describe_security_groups(
        GroupIds=[prerequisites["group_id"]]
    )["SecurityGroups"][0]
    assert group["IpPermissions"] == []


@pytest.mark.terraform
def test_stopped_trail_leaves_only_config_and_stopping_it_too_means_no_detection(serverless):
    emulator, workdir = serverless
    e = emulator.endpoints
    e.client("cloudtrail").stop_logging(Name="lab-trail")
    # AWS Config does not read CloudTrail: its rule still sees the open group, and only it; the
    # orchestrator answers the compliance change with the revoke-ingress runbook.
    row, events, _ = _trial(emulator, workdir, "serverless")
    assert row["outcome"] == "remediated", row
    assert row["remediated_by"] == "ssm:lab-RevokeWorldOpenIngress"
    assert any(e["kind"] == "cloudtrail.not_recorded" for e in events)
    sources = {e["source"] for e in events if e.get("detection")}
    assert "config:lab-incoming-ssh-disabled" in sources
    assert all(
        s.startswith(("config:", "securityhub:config", "eventbridge:lab-config")) for s in sources
    )
    e.client("config").stop_configuration_recorder(ConfigurationRecorderName="lab-recorder")
    try:
        row, events, _ = _trial(emulator, workdir, "serverless", trial=1)
    finally:
        e.client("config").start_configuration_recorder(ConfigurationRecorderName="lab-recorder")
    # Nothing sees the open group now; what is left is Config's periodic rule noticing the stopped
    # trail itself (periodic rules do not need the recorder).
    sources = {e["source"] for e in events if e.get("detection")}
    assert "config:lab-incoming-ssh-disabled" not in sources
    assert not any(s.startswith(("alarm:", "eventbridge:lab-sg")) for s in sources)
    assert row["remediated_at"] is None


@pytest.mark.terraform
def test_function_without_invoke_permission_is_not_run(serverless):
    emulator, workdir = serverless
    emulator.endpoints.client("lambda").remove_permission(
        FunctionName="lab-remediate-sg", StatementId="AllowEventBridge-sg-ingress-opened"
    )
    row, events, _ = _trial(emulator, workdir, "serverless")
    assert any(e["kind"] == "lambda.invoke_denied" for e in events)
    # The fast path is cut; the Config path (compliance change -> orchestrator -> SSM) still fixes it.
    assert row["remediated_by"] == "ssm:lab-RevokeWorldOpenIngress", row


@pytest.mark.terraform
def test_a_disabled_rule_does_not_detect(serverless):
    emulator, workdir = serverless
    events_client = emulator.endpoints.client("events")
    events_client.disable_rule(Name="lab-sg-ingress-opened")
    try:
        row, events, _ = _trial(emulator, workdir, "serverless")
    finally:
        events_client.enable_rule(Name="lab-sg-ingress-opened")
    # Without the fast path the CIS "security group changes" alarm still sees the call and tells a
    # person, and Config's rule (through the orchestrator and SSM) fixes the group, later.
    assert row["outcome"] == "remediated"
    assert row["remediated_by"] == "ssm:lab-RevokeWorldOpenIngress"
    sources = {e["source"] for e in events if e.get("detection")}
    assert {"alarm:lab-cis-security-group-changes", "config:lab-incoming-ssh-disabled"} <= sources
    assert "eventbridge:lab-sg-ingress-opened" not in sources
    assert any(e["kind"] == "cloudtrail.delivered_to_eventbridge" for e in events)
    assert not any(e.get("function") == "lab-remediate-sg" for e in events)


@pytest.mark.terraform
def test_a_failing_handler_is_retried_twice_then_dead_lettered(serverless):
    import numpy as np

    from lab.sim.kernel import Simulation
    from lab.sim.lambda_runtime import LambdaRuntime

    emulator, workdir = serverless
    e = emulator.endpoints
    sim = Simulation(
        e, emulator.recorder, Calibration.load(), np.random.default_rng(1), _scenario().start
    )
    runtime = LambdaRuntime(sim, code_cache=workdir / "lambda-code")
    function = e.client("lambda").get_function(FunctionName="lab-respond")["Configuration"]
    rule = e.client("events").describe_rule(Name="lab-cloudtrail-tampering")
    event = {  # StopLogging of a trail that does not exist: the handler raises
        "id": "test",
        "detail-type": "AWS API Call via CloudTrail",
        "detail": {"eventName": "StopLogging", "requestParameters": {"name": "no-such-trail"}},
    }
    try:
        runtime.invoke_async(function["FunctionArn"], event, rule["Arn"])
        sim.env.run(until=3600)
    finally:
        runtime.close()
    attempts = [t for t in sim.timeline if t["kind"] == "lambda.invoked"]
    assert [a["attempt"] for a in attempts] == [1, 2, 3] and not any(a["ok"] for a in attempts)
    assert any(t["kind"] == "lambda.dead_lettered" for t in sim.timeline)
    sqs = e.client("sqs")
    url = sqs.get_queue_url(QueueName="lab-respond-dlq")["QueueUrl"]
    messages = sqs.receive_message(QueueUrl=url)["Messages"]
    assert json.loads(messages[0]["Body"])["detail"]["requestParameters"]["name"] == "no-such-trail"


@pytest.mark.parametrize(
    ("technique_id", "outcome"),
    [
        ("kms-key-scheduled-deletion", "remediated"),
        ("root-account-usage", "remediated"),
        ("iam-create-access-key-other-user", "remediated"),
        # The playbook only alerts ("needs a look"): the person maps the event to the runbook.
        ("cloudtrail-delete-trail", "remediated by operator:cloudtrail-restore"),
        # No API call: the fast path sees nothing; GuardDuty's flow analysis does, and the
        # orchestrator answers the finding with the quarantine runbook (SSM Automation).
        ("ec2-port-scan", "remediated by ssm:lab-QuarantineInstance"),
    ],
)
def test_the_orchestrator_answers_each_high_risk_call_as_its_playbook_says(
    serverless, technique_id, outcome
):
    emulator, workdir = serverless
    chosen = technique(technique_id)
    prerequisites = chosen.warm_up(emulator.endpoints)
    row, events = run_trial(
        emulator,
        # A person's answer takes longer than a function's: the operator case is watched for 6 h.
        _scenario(
            techniques=[technique_id],
            max_trial_s=6 * 3600 if "operator:" in outcome else 3600,
        ),
        Calibration.load(),
        chosen,
        prerequisites,
        "serverless",
        0,
        workdir,
    )
    chosen.cleanup(emulator.endpoints, prerequisites)
    if outcome.startswith("remediated by "):
        assert row["outcome"] == "remediated", (row["error"], row)
        assert row["remediated_by"] == outcome.removeprefix("remediated by "), row
        if technique_id == "ec2-port-scan":
            assert row["detection_source"] == "guardduty:Recon:EC2/Portscan"
        return
    assert row["outcome"] == outcome, row
    if outcome == "remediated":
        assert row["remediated_by"] == "lambda:lab-respond"
        invoked = [
            e for e in events if e["kind"] == "lambda.invoked" and e["function"] == "lab-respond"
        ]
        assert any(e["result"]["status"] == "remediated" for e in invoked)
    if outcome != "missed":
        assert any(e.get("alert") for e in events), "every answered event ends in an alert"


@pytest.mark.terraform
def test_reserved_concurrency_throttles_and_the_queue_retries_with_backoff(serverless):
    import numpy as np

    from lab.sim.kernel import Simulation
    from lab.sim.lambda_runtime import LambdaRuntime

    emulator, workdir = serverless
    e = emulator.endpoints
    lam = e.client("lambda")
    lam.put_function_concurrency(FunctionName="lab-respond", ReservedConcurrentExecutions=1)
    sim = Simulation(
        e, emulator.recorder, Calibration.load(), np.random.default_rng(2), _scenario().start
    )
    runtime = LambdaRuntime(sim, code_cache=workdir / "lambda-code")
    arn = lam.get_function(FunctionName="lab-respond")["Configuration"]["FunctionArn"]
    rule = e.client("events").describe_rule(Name="lab-cloudtrail-tampering")["Arn"]
    event = {"id": "x", "detail-type": "Test", "detail": {"eventName": "DescribeNothing"}}
    try:
        for _ in range(3):  # three events at once, one execution at a time
            runtime.invoke_async(arn, dict(event), rule)
        sim.env.run(until=600)
    finally:
        runtime.close()
        lam.delete_function_concurrency(FunctionName="lab-respond")
    invoked = [t for t in sim.timeline if t["kind"] == "lambda.invoked"]
    throttled = [t for t in sim.timeline if t["kind"] == "lambda.throttled"]
    assert len(invoked) == 3 and {t["concurrency"] for t in invoked} == {1}
    assert throttled and {t["scope"] for t in throttled} == {"function"}
    assert runtime.peak_concurrency == 1
    # Retried 1 s, 2 s, 4 s ... after the first attempt: the third run starts later than the second.
    starts = sorted(t["t_s"] for t in invoked)
    assert starts[0] < starts[1] < starts[2]


@pytest.mark.terraform
def test_background_load_flows_through_the_stack_and_is_never_the_trials_detection(serverless):
    emulator, workdir = serverless
    quiet, quiet_events, _ = _trial(emulator, workdir, "serverless", trial=4)
    busy, events, _ = _trial(
        emulator, workdir, "serverless", trial=4, background_events_per_day=1_000_000
    )
    assert quiet["outcome"] == busy["outcome"] == "remediated"

    # Common random numbers: the background draws from streams of its own, so the attack's own
    # record reaches EventBridge after the same delay with and without the load.
    def delivery_s(timeline):
        attack = next(t["t_s"] for t in timeline if t["kind"] == "technique.detonated")
        return next(
            t["t_s"] - attack
            for t in timeline
            if t["kind"] == "cloudtrail.delivered_to_eventbridge"
            and t.get("event_name") == "AuthorizeSecurityGroupIngress"
            and not t.get("background")
        )

    assert delivery_s(events) == pytest.approx(delivery_s(quiet_events), abs=1e-6)
    # The detection is the attack's own.
    first = next(
        t for t in events if t.get("detection") and t["source"] == busy["detection_source"]
    )
    assert not first.get("background") and busy["time_to_detect_s"] > 0
    # Benign synthetic ingress changes match the fast-path rule too: its Lambda runs for them.
    benign = [t for t in events if t["kind"] == "eventbridge.matched" and t.get("background")]
    assert benign and not any(t.get("detection") for t in benign)
    assert any(t["kind"] == "lambda.invoked" and t.get("background") for t in events)
    batches = [
        t for t in events if t["kind"] == "cloudtrail.delivered_to_eventbridge" and "records" in t
    ]  # one event per batch of the synthetic stream (its own consequences come one by one)
    summary = next(t for t in events if t["kind"] == "background.summary")
    # Batches still on their way to EventBridge when the trial ended are counted but not logged.
    assert summary["records"] >= sum(b["records"] for b in batches) > 1_000
    # The background's AccessDenied errors set off the CIS "unauthorized API calls" alarm: logged,
    # e-mailed, read by the person, but never the trial's detection or alert.
    noise = [t for t in events if t["kind"] == "cloudwatch.alarm_state" and t.get("background")]
    assert noise and not any(t.get("detection") for t in noise)
    assert any(t["kind"] == "sns.delivered" and t.get("background") for t in events)
    assert not any(t.get("background") for t in quiet_events)
    ingested = [t for t in events if t["kind"] == "logs.ingested" and t.get("background")]
    assert sum(t["events"] for t in ingested) > 0


@pytest.mark.terraform
def test_global_service_events_reach_only_rules_in_us_east_1(serverless, tmp_path):
    """IAM records are made in us-east-1 (a global service): a stack whose rules are deployed in
    eu-west-1 does not see AttachUserPolicy on its bus (EventBridge User Guide, events from global
    services), only through its multi-region trail's log group and CIS filter; in us-east-1 the
    rule sees it."""
    from lab.replay.run import _replay_one

    emulator, _ = serverless
    fixture = Path(__file__).parents[1] / "fixtures" / "cloudtrail" / "incident.json"
    (record,) = [
        r
        for r in json.loads(fixture.read_text())["Records"]
        if r["eventName"] == "AttachUserPolicy"
    ]
    assert record["awsRegion"] == "us-east-1"
    rows = {
        region: _replay_one(
            emulator,
            "serverless",
            record,
            tmp_path,
            Calibration.load(),
            3600,
            0,
            0,
            frozenset({region}),
        )
        for region in ("us-east-1", "eu-west-1")
    }
    assert rows["us-east-1"].path.startswith("eventbridge:"), rows
    assert rows["eu-west-1"].detected and rows["eu-west-1"].path.startswith("alarm:"), rows
    assert rows["eu-west-1"].detect_s > rows["us-east-1"].detect_s
