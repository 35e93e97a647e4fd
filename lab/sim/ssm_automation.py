"""SSM Automation in virtual time: runs the steps of a document when StartAutomationExecution is
called, against the emulated account, with the credentials of the document's
``AutomationAssumeRole`` (STS AssumeRole, so CloudTrail records say who acted).

Written here because moto has no Automation engine. Supported actions, per the "Systems Manager
Automation actions reference"
(https://docs.aws.amazon.com/systems-manager/latest/userguide/automation-actions.html):
``aws:executeAwsApi`` (Service, Api, parameters, Outputs with Selector), ``aws:assertAwsResourceProperty``,
``aws:waitForAwsResourceProperty``, ``aws:branch`` (Choices with StringEquals / BooleanEquals /
NumericEquals, Default), ``aws:sleep``, ``aws:executeScript`` (Python: ``Script``, ``Handler``,
``InputPayload``; outputs selected from ``$.Payload``); ``onFailure: Abort`` (default) or ``Continue``, ``nextStep``,
``isEnd``. Parameters and outputs are substituted where ``{{ Name }}`` or ``{{ step.Output }}``
appears, and ``{{ global:DATE_TIME }}`` is the virtual clock in Automation's format. Parameters
take their declared types; a document's strings are passed as written (no conversion AWS would not
make).

When an execution ends, Automation puts its "EC2 Automation Execution Status-change Notification"
on the account's default event bus (``status_change_event``), whatever the status: the serverless
stack's ``runbook_failed`` rule reads it. An execution whose role the Automation service cannot
assume (no such role, or a trust policy that does not let ``ssm.amazonaws.com`` assume it) fails
before its first step, as the Systems Manager User Guide's "Troubleshooting Systems Manager
Automation" describes ("The defined assume role is unable to be assumed"). Only an execution that
succeeded counts as a response to the incident (``Simulation.responded``): a failed one is not a
fix, even where its first steps changed something.
"""

from __future__ import annotations

import builtins
import fnmatch
import json
import re
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import yaml
from botocore.exceptions import BotoCoreError, ClientError

from lab.emulator.compat.policies import conditions_hold
from lab.emulator.compat.ssm import AUTOMATION_EXECUTION_PATH
from lab.emulator.endpoints import boto3_session
from lab.sim.eventbridge import json_path
from lab.sim.kernel import Record, Simulation

_NAMESPACE = uuid.UUID("3b9e6c1a-4f2d-4c8e-8a7b-5d1e0f2a9c64")
STATUS_CHANGE = "EC2 Automation Execution Status-change Notification"
# What Automation reports when it cannot assume the execution's role (Systems Manager User Guide,
# "Troubleshooting Systems Manager Automation", invalid assume role).
ROLE_NOT_ASSUMABLE = "The defined assume role is unable to be assumed."
_PLACEHOLDER = re.compile(r"\{\{\s*([\w:.-]+)\s*\}\}")
_DURATION = re.compile(r"^PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?$")


class AutomationFailed(Exception):
    """A step failed (an API error, an assertion not met, a wait that timed out)."""


def duration_s(text: str) -> float:
    """An ISO 8601 duration of aws:sleep (``PT30S``, ``PT5M``, ``PT1H``) in seconds."""
    match = _DURATION.match(text)
    if not match:
        raise AutomationFailed(f"unsupported duration {text!r}")
    hours, minutes, seconds = (int(g or 0) for g in match.groups())
    return hours * 3600 + minutes * 60 + seconds


def snake(name: str) -> str:
    """A boto3 method name from an API name (``CreateNetworkAclEntry`` -> ``create_network_acl_entry``)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])", "_", name).lower()


def substitute(value: Any, variables: dict[str, Any]) -> Any:
    """``value`` with ``{{ name }}`` placeholders replaced (a whole-string placeholder keeps the
    variable's type, as Automation does for StringList and Boolean parameters)."""
    if isinstance(value, str):
        whole = _PLACEHOLDER.fullmatch(value.strip())
        if whole and whole.group(1) in variables:
            return variables[whole.group(1)]
        return _PLACEHOLDER.sub(lambda m: str(variables.get(m.group(1), m.group(0))), value)
    if isinstance(value, list):
        return [substitute(v, variables) for v in value]
    if isinstance(value, dict):
        return {k: substitute(v, variables) for k, v in value.items()}
    return value


def typed(spec: dict[str, Any], value: Any) -> Any:
    """A parameter's value as its declared type: StartAutomationExecution passes strings, and
    Automation turns those of Integer and Boolean parameters into numbers and booleans (Systems
    Manager User Guide, "Data elements and parameters": String, StringList, Integer, Boolean,
    MapList, StringMap). Nothing else is converted: a string written where an API takes a number is
    refused by the API, as on AWS."""
    kind = spec.get("type", "String")
    if isinstance(value, list) and kind != "StringList":
        value = value[0] if value else ""
    pattern = spec.get("allowedPattern")
    if pattern and isinstance(value, str) and not re.search(pattern, value):
        raise AutomationFailed(f"{value!r} does not match the allowed pattern {pattern!r}")
    if kind == "Integer" and isinstance(value, str):
        try:
            return int(value)
        except ValueError as error:
            raise AutomationFailed(f"parameter of type Integer: {value!r}") from error
    if kind == "Boolean" and isinstance(value, str):
        if value.lower() not in ("true", "false"):
            raise AutomationFailed(f"parameter of type Boolean: {value!r}")
        return value.lower() == "true"
    return value


def automation_time(moment: datetime) -> str:
    """A moment as Automation's events write it (``Nov 29, 2024 7:43:20 PM``)."""
    hour = moment.hour % 12 or 12
    return f"{moment:%b} {moment.day}, {moment.year} {hour}:{moment:%M:%S %p}"


def status_change_event(
    execution: dict[str, Any],
    account: str,
    region: str,
    started: datetime,
    ended: datetime,
    time: str,
) -> dict[str, Any]:
    """The event Automation puts on the default bus when ``execution`` ends, shaped as the Systems
    Manager User Guide's "Amazon EventBridge event examples for Systems Manager" shows it
    (https://docs.aws.amazon.com/systems-manager/latest/userguide/monitoring-systems-manager-event-examples.html,
    "Automation Execution Status-change Notification"): source ``aws.ssm``, the execution's and
    the runbook's ARNs as resources, and in ``detail`` ExecutionId, Definition, DefinitionVersion
    (a number), Status, StartTime, EndTime, Time (the duration in milliseconds) and ExecutedBy.
    Its id is derived from the execution's (which the emulator draws from the trial's seed) and
    the moment, as the other simulated services derive theirs."""
    execution_id = execution["AutomationExecutionId"]
    name = execution["DocumentName"]
    version = str(execution.get("DocumentVersion") or "1")
    arn = f"arn:aws:ssm:{region}:{account}"
    return {
        "version": "0",
        "id": str(
            uuid.uuid5(
                _NAMESPACE, f"{execution_id}/{execution['AutomationExecutionStatus']}/{time}"
            )
        ),
        "detail-type": STATUS_CHANGE,
        "source": "aws.ssm",
        "account": account,
        "time": time,
        "region": region,
        "resources": [
            f"{arn}:automation-execution/{execution_id}",
            f"{arn}:automation-definition/{name}:{version}",
        ],
        "detail": {
            "ExecutionId": execution_id,
            "Definition": name,
            "DefinitionVersion": float(version) if version.isdigit() else version,
            "Status": execution["AutomationExecutionStatus"],
            "StartTime": automation_time(started),
            "EndTime": automation_time(ended),
            "Time": round((ended - started).total_seconds() * 1000, 1),
            "ExecutedBy": execution.get("ExecutedBy", ""),
        },
    }


def ssm_may_assume(trust: dict[str, Any] | str, context: dict[str, str]) -> bool:
    """Does a role's trust policy let Systems Manager (``ssm.amazonaws.com``) assume it for an
    execution with the ``context`` keys? (IAM User Guide, "Policy evaluation logic": a Deny that
    applies wins, else an Allow must.)"""
    document = json.loads(trust) if isinstance(trust, str) else trust
    statements = document.get("Statement", [])
    allowed = False
    for statement in [statements] if isinstance(statements, dict) else statements:
        actions = statement.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        principal = statement.get("Principal", {})
        services = principal.get("Service", []) if isinstance(principal, dict) else []
        services = [services] if isinstance(services, str) else services
        applies = (
            any(fnmatch.fnmatchcase("sts:AssumeRole", a) for a in actions)
            and (principal == "*" or "ssm.amazonaws.com" in services)
            and conditions_hold(statement.get("Condition") or {}, context)
        )
        if applies and statement.get("Effect") == "Deny":
            return False
        allowed = allowed or (applies and statement.get("Effect") == "Allow")
    return allowed


class _Boto3:
    """What a script's ``import boto3`` gets: clients acting as the automation's role."""

    def __init__(self, client: Callable[[str], Any]):
        self._client = client

    def client(self, service: str, *args: Any, **kwargs: Any) -> Any:
        return self._client(service)


def run_script(step: str, inputs: dict[str, Any], client: Callable[[str], Any]) -> Any:
    """Run an ``aws:executeScript`` step's Python handler with its ``InputPayload`` (Systems
    Manager User Guide, "aws:executeScript": the handler gets ``events`` and ``context``, acts with
    the permissions of the automation's role, and what it returns is the step's ``Payload``).
    Run in-process with ``boto3`` standing for the role's clients (the lab has no Automation
    sandbox); an exception the script raises fails the step, as on AWS."""
    if not str(inputs.get("Runtime", "")).startswith("python3"):
        raise AutomationFailed(f"{step}: runtime {inputs.get('Runtime')!r} is not supported")
    shim = _Boto3(client)
    real_import = __import__

    def importer(name: str, *args: Any, **kwargs: Any) -> Any:
        return shim if name == "boto3" else real_import(name, *args, **kwargs)

    namespace: dict[str, Any] = {"__builtins__": {**vars(builtins), "__import__": importer}}
    try:
        exec(compile(inputs["Script"], f"<{step}>", "exec"), namespace)  # the document's own script
        handler = namespace[inputs.get("Handler", "script_handler")]
        return handler(inputs.get("InputPayload") or {}, {})
    except ClientError as error:
        raise AutomationFailed(f"{step}: {error.response['Error']['Code']}") from error
    except Exception as error:  # the script's own failure (an assertion not met)
        raise AutomationFailed(f"{step}: {error}") from error


class SsmAutomation:
    """Executes Automation documents started in the account; ``publish(event, background)`` puts
    each execution's status-change event on the default bus."""

    def __init__(
        self,
        sim: Simulation,
        publish: Callable[[dict[str, Any], bool], None] = lambda event, background: None,
    ):
        self.sim = sim
        self.publish = publish
        self._started: set[str] = set()
        self.ssm = sim.endpoints.client("ssm", "observer")
        self.sts = sim.endpoints.client("sts", "observer")
        self.iam = sim.endpoints.client("iam", "observer")
        sim.subscribe(self.on_record)

    def on_record(self, record: Record) -> None:
        if record["eventName"] != "StartAutomationExecution" or record.get("errorCode"):
            return
        response = record.get("responseElements") or {}
        execution_id = response.get("automationExecutionId") or response.get(
            "AutomationExecutionId"
        )
        # A StartAutomationExecution whose ClientToken names an execution already started answers
        # that execution's id and starts nothing (Systems Manager API Reference): run each once.
        if execution_id in self._started:
            return
        self._started.add(execution_id)
        try:  # read through the API, as any caller would
            execution = self.ssm.get_automation_execution(AutomationExecutionId=execution_id)
        except ClientError:
            return
        execution = execution["AutomationExecution"]
        execution.setdefault("ExecutedBy", (record.get("userIdentity") or {}).get("arn", ""))
        background = bool((record.get("lab") or {}).get("background"))
        self.sim.env.process(self._run(execution, background))

    def _write(self, execution: dict[str, Any], *fields: str) -> None:
        """Write the execution's progress into the account (the Automation service's side: no
        API call does that, so the emulator's lab route takes it)."""
        self.sim.endpoints.post_lab_route(
            f"{AUTOMATION_EXECUTION_PATH}/{execution['AutomationExecutionId']}",
            json.dumps({k: execution[k] for k in fields}).encode(),
        )

    def _assumable(self, role_arn: str, execution_id: str) -> bool:
        """Can the Automation service assume ``role_arn`` for this execution? The role must exist
        and trust ``ssm.amazonaws.com`` (moto's AssumeRole checks neither)."""
        try:
            role = self.iam.get_role(RoleName=role_arn.rsplit("/", 1)[-1])["Role"]
        except ClientError:
            return False
        account = self.sim.endpoints.account_id()
        context = {
            "aws:SourceAccount": account,
            "aws:SourceArn": f"arn:aws:ssm:{self.sim.endpoints.region}:{account}:"
            f"automation-execution/{execution_id}",
        }
        return ssm_may_assume(role["AssumeRolePolicyDocument"], context)

    def _clients(self, role_arn: str | None) -> Callable[[str], Any]:
        if not role_arn:
            return lambda service: self.sim.endpoints.client(service, "observer")
        credentials = self.sts.assume_role(RoleArn=role_arn, RoleSessionName="Automation")[
            "Credentials"
        ]
        session = boto3_session(
            aws_access_key_id=credentials["AccessKeyId"],
            aws_secret_access_key=credentials["SecretAccessKey"],
            aws_session_token=credentials["SessionToken"],
            region_name=self.sim.endpoints.region,
        )
        made: dict[str, Any] = {}

        def client(service: str) -> Any:
            if service not in made:
                made[service] = session.client(service, endpoint_url=self.sim.endpoints.url)
            return made[service]

        return client

    def _run(self, execution: dict[str, Any], background: bool = False):
        execution.setdefault("Parameters", {})
        execution.setdefault("StepExecutions", [])
        started_s = self.sim.now
        yield self.sim.env.timeout(self.sim.draw("ssm_automation_start_s"))
        name = execution["DocumentName"]
        found = self.ssm.get_document(Name=name, DocumentFormat="YAML")
        execution["DocumentVersion"] = found.get("DocumentVersion") or "1"
        document = yaml.safe_load(found["Content"])
        variables: dict[str, Any] = {}
        invalid = None  # a parameter that is not of its declared type: no step runs
        for key, spec in (document.get("parameters") or {}).items():
            given = execution["Parameters"].get(key)
            try:
                variables[key] = typed(spec, given if given is not None else spec.get("default"))
            except AutomationFailed as error:
                invalid = f"{key}: {error}"
        # Automation's own format, yyyy-MM-dd_HH.mm.ss (Systems Manager User Guide, "Automation
        # system variables": global:DATE_TIME), which is no ISO 8601 date for a policy condition.
        variables["global:DATE_TIME"] = self.sim.now_datetime().strftime("%Y-%m-%d_%H.%M.%S")
        variables["automation:EXECUTION_ID"] = execution["AutomationExecutionId"]
        role = substitute(document.get("assumeRole", ""), variables) or None
        execution["AutomationExecutionStatus"] = "InProgress"
        self._write(execution, "AutomationExecutionStatus")
        self.sim.log(
            "ssm.automation_started",
            document=name,
            execution=execution["AutomationExecutionId"],
            **({"background": True} if background else {}),
        )
        if not invalid and role and not self._assumable(role, execution["AutomationExecutionId"]):
            invalid = ROLE_NOT_ASSUMABLE
        steps = [] if invalid else document.get("mainSteps") or []
        index = {step["name"]: i for i, step in enumerate(steps)}
        status, failure = ("Failed", invalid) if invalid else ("Success", None)
        try:
            client = self._clients(role)
            i = 0
            while i < len(steps):
                step = steps[i]
                started = self.sim.now
                next_step = None  # a failed step that continues goes on to its nextStep or the next
                try:
                    next_step = yield from self._step(step, variables, client)
                    outcome = "Success"
                except AutomationFailed as error:
                    outcome, failure = "Failed", str(error)
                    self.sim.pump()
                execution["StepExecutions"].append(
                    {
                        "StepName": step["name"],
                        "Action": step["action"],
                        "StepStatus": outcome,
                        "ExecutionStartTime": self.sim.at(started),
                        "ExecutionEndTime": self.sim.at(self.sim.now),
                        **({"FailureMessage": failure} if outcome == "Failed" else {}),
                    }
                )
                self._write(execution, "StepExecutions")
                if outcome == "Failed" and step.get("onFailure", "Abort") != "Continue":
                    status = "Failed"
                    break
                if step.get("isEnd"):
                    break
                target = next_step or step.get("nextStep")
                i = index[target] if target else i + 1
        except ClientError as error:  # the role could not be assumed
            status, failure = "Failed", str(error)
        execution["AutomationExecutionStatus"] = status
        execution["Outputs"] = {
            k: [str(v)]
            for k, v in variables.items()
            if "." in k and not k.startswith(("global:", "automation:"))
        }
        self._write(execution, "AutomationExecutionStatus", "StepExecutions", "Outputs")
        self.sim.log(
            "ssm.automation_finished",
            document=name,
            execution=execution["AutomationExecutionId"],
            status=status,
            failure=failure,
            steps=len(execution["StepExecutions"]),
            **({"background": True} if background else {}),
        )
        self.publish(
            status_change_event(
                execution,
                self.sim.endpoints.account_id(),
                self.sim.endpoints.region,
                self.sim.datetime_at(started_s),
                self.sim.now_datetime(),
                self.sim.at(self.sim.now),
            ),
            background,
        )
        if status == "Success":  # a runbook that failed fixed nothing it can be credited with
            self.sim.responded(f"ssm:{name}")

    def _call(self, inputs: dict[str, Any], client: Callable[[str], Any]) -> dict[str, Any]:
        params = {
            k: v
            for k, v in inputs.items()
            if k not in ("Service", "Api", "PropertySelector", "DesiredValues")
        }
        service = client(inputs["Service"])
        try:
            response = getattr(service, snake(inputs["Api"]))(**params)
        except ClientError as error:
            raise AutomationFailed(f"{inputs['Api']}: {error.response['Error']['Code']}") from error
        except BotoCoreError as error:  # parameters the API refuses (as Automation reports them)
            raise AutomationFailed(f"{inputs['Api']}: {error}") from error
        finally:
            self.sim.pump()
        return response

    def _step(self, step: dict[str, Any], variables: dict[str, Any], client: Callable[[str], Any]):
        action = step["action"]
        inputs = substitute(step.get("inputs") or {}, variables)
        if action == "aws:sleep":
            yield self.sim.env.timeout(duration_s(inputs["Duration"]))
            return None
        if action == "aws:branch":
            for choice in inputs.get("Choices", []):
                value = choice.get("Variable")
                for test in ("StringEquals", "BooleanEquals", "NumericEquals"):
                    if test in choice and str(value).lower() == str(choice[test]).lower():
                        return choice["NextStep"]
            if "Default" in inputs:
                return inputs["Default"]
            raise AutomationFailed(f"{step['name']}: no choice matched and no default")
        yield self.sim.env.timeout(self.sim.draw("ssm_step_s"))
        if action == "aws:executeAwsApi":
            response = self._call(inputs, client)
            for output in step.get("outputs") or []:
                variables[f"{step['name']}.{output['Name']}"] = json_path(
                    response, output["Selector"]
                )
            return None
        if action in ("aws:assertAwsResourceProperty", "aws:waitForAwsResourceProperty"):
            desired = [str(v) for v in inputs["DesiredValues"]]
            timeout_s = float(step.get("timeoutSeconds", 3600))
            deadline = self.sim.now + timeout_s
            while True:
                found = json_path(self._call(inputs, client), inputs["PropertySelector"])
                if str(found) in desired or (
                    isinstance(found, bool) and str(found).lower() in [d.lower() for d in desired]
                ):
                    return None
                if action == "aws:assertAwsResourceProperty" or self.sim.now >= deadline:
                    raise AutomationFailed(
                        f"{step['name']}: {inputs['PropertySelector']} is {found!r}, not one of {desired}"
                    )
                yield self.sim.env.timeout(min(30.0, max(0.0, deadline - self.sim.now)))
        if action == "aws:executeScript":
            payload = run_script(step["name"], inputs, client)
            self.sim.pump()
            for output in step.get("outputs") or []:
                variables[f"{step['name']}.{output['Name']}"] = json_path(
                    {"Payload": payload}, output["Selector"]
                )
            return None
        raise AutomationFailed(f"{step['name']}: action {action} is not supported by the lab")
