"""Lambda in virtual time: runs the deployed handler for real, models cold/warm starts and retries.

Everything comes from the account: the function's configuration and its resource policy
(GetFunction, GetPolicy), its code (downloaded from ``Code.Location``, as on AWS), temporary
credentials for its role (STS AssumeRole). The handler runs in a worker process with boto3 pointed at
the emulator; its API calls are recorded like anyone's. moto's own ``Invoke`` is never used: without
Docker it answers 200 with an error payload.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import subprocess
import sys
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

from botocore.exceptions import ClientError

from lab import settings
from lab.forkserver import Server, spawn, start
from lab.sim.kernel import Simulation

_WALL_TIMEOUT_FACTOR = 4  # a handler may take this many times its configured timeout in wall time


# "0": every execution environment is its own interpreter start-up
FORK_ENV = settings.Settings.variable("lambda_fork")
# This process's Lambda worker fork server, by pid (a forked child starts its own). Module-level on
# purpose: it is an interpreter that imported boto3 once, serving every simulation of the process;
# each execution environment it forks gets its account and event from the simulation.
_fork_server: dict[int, Server | None] = {}


class _Process(Protocol):
    def poll(self) -> int | None: ...
    def kill(self) -> None: ...
    def wait(self, timeout: float | None = None) -> int: ...


@dataclass
class _Environment:
    """A started execution environment (worker process) for one version of a function's code."""

    process: _Process
    stdin: IO[str]
    stdout: IO[str]
    code_sha: str
    busy_until_s: float = 0.0
    expires_at_s: float = 0.0

    def call(self, request: dict[str, Any], timeout_s: float) -> dict[str, Any]:
        try:
            self.stdin.write(json.dumps(request, default=str) + "\n")
            self.stdin.flush()
        except BrokenPipeError:
            return {"ok": False, "error": "Runtime.ExitError", "trace": "worker exited"}
        line = self.stdout.readline()  # bounded by the worker's own handler timeout
        if not line:
            return {"ok": False, "error": "Runtime.ExitError", "trace": "worker exited"}
        return json.loads(line)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=5)
        for stream in (self.stdin, self.stdout):
            with contextlib.suppress(OSError):
                stream.close()


def _worker_fork_server() -> Server | None:
    """This process's Lambda worker fork server (started on first use; None when turned off)."""
    if not settings.current().lambda_fork:
        return None
    server = _fork_server.get(os.getpid())
    if server is None or not server.alive():
        server = _fork_server[os.getpid()] = start("lambda", "lab.sim.lambda_worker:serve_forked")
    return server


def _start_worker(argv: list[str], env: dict[str, str]) -> tuple[_Process, IO[str], IO[str]]:
    """A worker process running ``lab.sim.lambda_worker`` with ``argv``: forked from the fork server
    when there is one, else a new interpreter."""
    server = _worker_fork_server()
    if server is not None:
        child_in, to_child = os.pipe()
        from_child, child_out = os.pipe()
        devnull = os.open(os.devnull, os.O_WRONLY)
        try:
            child = spawn(
                server.socket_path, argv, env, os.getcwd(), [child_in, child_out, devnull]
            )
        finally:
            for fd in (child_in, child_out, devnull):
                os.close(fd)
        return child, os.fdopen(to_child, "w"), os.fdopen(from_child, "r")
    process = subprocess.Popen(
        [sys.executable, "-m", "lab.sim.lambda_worker", *argv],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=env | {"PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert process.stdin and process.stdout
    return process, process.stdin, process.stdout


class LambdaRuntime:
    """Asynchronous invocations (as EventBridge makes them) of the account's functions."""

    def __init__(self, sim: Simulation, code_cache: Path):
        self.sim = sim
        self.code_cache = code_cache
        self.client = sim.endpoints.client("lambda", "observer")
        self.sts = sim.endpoints.client("sts", "observer")
        self._environments: dict[str, list[_Environment]] = {}
        self._running: dict[str, int] = {}  # executions in progress per function
        self.peak_concurrency = 0

    # -- public ----------------------------------------------------------------------------
    def invoke_async(
        self,
        function_arn: str,
        event: dict[str, Any],
        source_arn: str,
        background: bool = False,
    ) -> None:
        self.sim.env.process(self._with_retries(function_arn, event, source_arn, background))

    def close(self) -> None:
        for pool in self._environments.values():
            for environment in pool:
                environment.close()
        self._environments.clear()

    # -- invocation ------------------------------------------------------------------------
    def _with_retries(
        self, function_arn: str, event: dict[str, Any], source_arn: str, background: bool
    ):
        delays = [0.0, *self.sim.calibration.constant("lambda_async_retry_delays_s")]
        name = function_arn.split(":function:")[-1].split(":")[0]
        for attempt, delay in enumerate(delays, start=1):
            if delay:
                yield self.sim.env.timeout(delay)
            if not (yield from self._concurrency_slot(name)):
                self._dead_letter(name, event)
                return
            try:
                outcome = yield from self._invoke_once(name, event, source_arn, attempt, background)
            finally:
                self._running[name] -= 1
            if outcome in ("ok", "rejected"):
                return
        self.sim.log("lambda.failed_all_attempts", function=name, attempts=len(delays))
        self._dead_letter(name, event)

    def _concurrency_limit(self, name: str) -> tuple[int, str]:
        """The function's reserved concurrency if it has one, else the account's unreserved pool."""
        try:
            reserved = self.client.get_function_concurrency(FunctionName=name).get(
                "ReservedConcurrentExecutions"
            )
        except ClientError:
            reserved = None
        if reserved is not None:
            return int(reserved), "function"
        return int(self.sim.calibration.constant("lambda_account_concurrency")), "account"

    def _concurrency_slot(self, name: str):
        """Wait for a free execution slot as Lambda's asynchronous queue does: a throttled event goes
        back to the queue and is retried with a growing delay (1 s up to 5 min) for up to 6 hours
        (Lambda Developer Guide, "How Lambda handles errors and retries with asynchronous
        invocation"). False when that time runs out."""
        policy = self.sim.calibration.constant("lambda_throttle_retry")
        waited, delay = 0.0, float(policy["first_s"])
        while True:
            limit, scope = self._concurrency_limit(name)
            in_use = (
                self._running.get(name, 0) if scope == "function" else sum(self._running.values())
            )
            if in_use < limit:
                self._running[name] = self._running.get(name, 0) + 1
                self.peak_concurrency = max(self.peak_concurrency, sum(self._running.values()))
                return True
            if waited >= float(policy["max_age_s"]):
                self.sim.log("lambda.throttled_expired", function=name, waited_s=round(waited, 3))
                return False
            self.sim.log("lambda.throttled", function=name, limit=limit, scope=scope)
            yield self.sim.env.timeout(delay)
            waited += delay
            delay = min(delay * 2, float(policy["max_delay_s"]))

    def _dead_letter(self, name: str, event: dict[str, Any]) -> None:
        """After the last retry, Lambda sends the event to the function's dead-letter queue, if it
        has one (Lambda Developer Guide, "Asynchronous invocation": dead-letter queues)."""
        config = self.client.get_function_configuration(FunctionName=name)
        target = (config.get("DeadLetterConfig") or {}).get("TargetArn")
        if not target or ":sqs:" not in target:
            return
        account, queue = target.split(":")[4:6]
        sqs = self.sim.endpoints.client("sqs", "harness")
        url = sqs.get_queue_url(QueueName=queue, QueueOwnerAWSAccountId=account)["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps(event, default=str))
        self.sim.log("lambda.dead_lettered", function=name, queue=target)

    def _invoke_once(
        self,
        name: str,
        event: dict[str, Any],
        source_arn: str,
        attempt: int,
        background: bool = False,
    ):
        try:
            function = self.client.get_function(FunctionName=name)
        except ClientError as exc:
            self.sim.log("lambda.invoke_failed", function=name, error=exc.response["Error"]["Code"])
            return "rejected"
        if not self._events_may_invoke(name, source_arn):
            self.sim.log(
                "lambda.invoke_denied",
                function=name,
                source_arn=source_arn,
                reason="no resource policy lets events.amazonaws.com invoke it",
            )
            return "rejected"
        config = function["Configuration"]
        environment = self._warm_environment(name, config["CodeSha256"])
        cold = environment is None
        start_s = self.sim.draw(
            "lambda_cold_start_s" if cold else "lambda_warm_start_s", background=background
        )
        yield self.sim.env.timeout(start_s)
        if environment is None:
            environment = self._start(name, function)
        request = {
            "event": event,
            "context": {
                "function_name": name,
                "aws_request_id": event.get("id"),
                "invoked_function_arn": config["FunctionArn"],
            },
        }
        response = environment.call(request, config.get("Timeout", 3) * _WALL_TIMEOUT_FACTOR)
        self.sim.pump(background=background)
        duration_s = self.sim.draw("lambda_duration_s", background=background)
        yield self.sim.env.timeout(duration_s)
        environment.busy_until_s = self.sim.now
        environment.expires_at_s = self.sim.now + self.sim.draw(
            "lambda_idle_expiry_s", background=background
        )
        self.sim.log(
            "lambda.invoked",
            # Billed: handler time plus, since August 2025, the INIT phase of a cold start.
            billed_ms=round(1000 * (duration_s + (start_s if cold else 0.0))),
            memory_mb=config.get("MemorySize", 128),
            function=name,
            cold_start=cold,
            attempt=attempt,
            ok=response["ok"],
            result=response.get("result"),
            error=response.get("error"),
            concurrency=sum(self._running.values()),
            **({"background": True} if background else {}),
        )
        self.sim.responded(f"lambda:{name}")
        return "ok" if response["ok"] else "error"

    # -- configuration read back from the account -------------------------------------------
    def _events_may_invoke(self, name: str, source_arn: str) -> bool:
        try:
            policy = json.loads(self.client.get_policy(FunctionName=name)["Policy"])
        except ClientError:
            return False
        for statement in policy.get("Statement", []):
            principal = statement.get("Principal", {})
            service = principal.get("Service") if isinstance(principal, dict) else principal
            actions = statement.get("Action")
            actions = [actions] if isinstance(actions, str) else actions or []
            if statement.get("Effect") != "Allow" or service not in ("events.amazonaws.com", "*"):
                continue
            if not {"lambda:InvokeFunction", "lambda:*", "*"} & set(actions):
                continue
            arn_condition = statement.get("Condition", {}).get("ArnLike", {}).get("AWS:SourceArn")
            if arn_condition in (None, source_arn):
                return True
        return False

    def _warm_environment(self, name: str, code_sha: str) -> _Environment | None:
        pool = self._environments.setdefault(name, [])
        for environment in list(pool):
            if environment.code_sha != code_sha or environment.expires_at_s < self.sim.now:
                environment.close()
                pool.remove(environment)
        return next((e for e in pool if e.busy_until_s <= self.sim.now), None)

    def _code_dir(self, function: dict[str, Any]) -> Path:
        sha = function["Configuration"]["CodeSha256"]
        target = self.code_cache / sha.replace("/", "_").replace("+", "-")
        if not target.exists():
            with urllib.request.urlopen(function["Code"]["Location"], timeout=30) as response:
                payload = response.read()
            tmp = target.with_suffix(".tmp")
            with zipfile.ZipFile(io.BytesIO(payload)) as archive:
                archive.extractall(tmp)
            tmp.rename(target)
        return target

    def _start(self, name: str, function: dict[str, Any]) -> _Environment:
        config = function["Configuration"]
        credentials = self.sts.assume_role(RoleArn=config["Role"], RoleSessionName=name)[
            "Credentials"
        ]
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        env |= (config.get("Environment") or {}).get("Variables", {})
        env |= {
            "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
            "AWS_SESSION_TOKEN": credentials["SessionToken"],
            "AWS_REGION": self.sim.endpoints.region,
            "AWS_DEFAULT_REGION": self.sim.endpoints.region,
            "AWS_LAMBDA_FUNCTION_NAME": name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(config.get("MemorySize", 128)),
            "AWS_MAX_ATTEMPTS": "2",
        }
        if self.sim.endpoints.url:
            env["AWS_ENDPOINT_URL"] = self.sim.endpoints.url
        process, stdin, stdout = _start_worker(
            [str(self._code_dir(function)), config["Handler"]], env
        )
        environment = _Environment(process, stdin, stdout, config["CodeSha256"])
        self._environments.setdefault(name, []).append(environment)
        return environment
