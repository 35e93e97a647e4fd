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
"""

from __future__ import annotations

import builtins
import json
import re
from collections.abc import Callable
from typing import Any

import yaml
from botocore.exceptions import BotoCoreError, ClientError

from lab.emulator.compat.ssm import AUTOMATION_EXECUTION_PATH
from lab.emulator.endpoints import boto3_session
from lab.sim.eventbridge import json_path
from lab.sim.kernel import Record, Simulation

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
    """Executes Automation documents started in the account."""

    def __init__(self, sim: Simulation):
        self.sim = sim
        self._started: set[str] = set()
        self.ssm = sim.endpoints.client("ssm", "observer")
        self.sts = sim.endpoints.client("sts", "observer")
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
        self.sim.env.process(self._run(execution["AutomationExecution"]))

    def _write(self, execution: dict[str, Any], *fields: str) -> None:
        """Write the execution's progress into the account (the Automation service's side: no
        API call does that, so the emulator's lab route takes it)."""
        self.sim.endpoints.post_lab_route(
            f"{AUTOMATION_EXECUTION_PATH}/{execution['AutomationExecutionId']}",
            json.dumps({k: execution[k] for k in fields}).encode(),
        )

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

    def _run(self, execution: dict[str, Any]):
        execution.setdefault("Parameters", {})
        execution.setdefault("StepExecutions", [])
        yield self.sim.env.timeout(self.sim.draw("ssm_automation_start_s"))
        name = execution["DocumentName"]
        content = self.ssm.get_document(Name=name, DocumentFormat="YAML")["Content"]
        document = yaml.safe_load(content)
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
            "ssm.automation_started", document=name, execution=execution["AutomationExecutionId"]
        )
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
        )
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
