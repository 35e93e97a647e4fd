"""Locust users that call AWS through boto3: a benign background mix and attackers detonating the
lab's techniques. Against the emulated account (``--host`` = the emulator's URL) or, in locust's
distributed mode, a real one (``--host aws``: the default credential chain; see the README).

Each boto3 call is reported to locust as one request named ``service.Operation``.
"""

from __future__ import annotations

import functools
import os
import random
import time
import uuid

import boto3
from botocore.config import Config
from locust import User, between, events, task

# Imported here, before locust starts its clock (in a user's on_start, the import ate into a short run).
from lab.attacks.lifecycle import TechniqueRun
from lab.attacks.registry import technique
from lab.emulator.actors import actor
from lab.emulator.endpoints import Endpoints

REGION = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
LOAD_BUCKET = "lab-load-background"
LOAD_LOG_GROUP = "/lab/load/app"
BENIGN_SERVICES = ("ec2", "s3", "logs", "iam", "cloudwatch", "sts")


def _session(host: str | None, actor_name: str):
    """boto3 session and endpoint for ``host`` (the emulator's URL; ``aws`` or empty: real AWS)."""
    endpoint = None if host in (None, "", "aws") else host
    keys = {}
    if endpoint:
        who = actor(actor_name)
        keys = {
            "aws_access_key_id": who.access_key_id,
            "aws_secret_access_key": who.secret_access_key,
        }
    return boto3.Session(region_name=REGION, **keys), endpoint


@events.test_start.add_listener
def _shared_resources(environment, **_kwargs) -> None:
    """The bucket and log group the benign users write to, made once per node (not reported), and
    the benign users' clients, made before the clock starts."""
    for service in BENIGN_SERVICES:
        _client(environment.host, BenignUser.actor, service)
    for make in (
        lambda: _client(environment.host, BenignUser.actor, "s3").create_bucket(Bucket=LOAD_BUCKET),
        lambda: _client(environment.host, BenignUser.actor, "logs").create_log_group(
            logGroupName=LOAD_LOG_GROUP
        ),
    ):
        try:
            make()
        except Exception as exc:  # already there (another node made it)
            if "AlreadyExists" not in type(exc).__name__ + str(
                exc
            ) and "BucketAlreadyOwnedByYou" not in str(exc):
                raise


@functools.cache
def _client(host: str | None, actor_name: str, service: str):
    """One boto3 client per host, actor and service, shared by the users of this process: botocore
    clients are thread-safe, and making one costs far more CPU than a call (with a client per user,
    a busy machine spent a short run making clients instead of calling AWS)."""
    session, endpoint = _session(host, actor_name)
    return session.client(
        service, endpoint_url=endpoint, config=Config(retries={"max_attempts": 1})
    )


class Boto3User(User):
    """A locust user with boto3 clients pointed at ``--host`` (the emulator) or real AWS."""

    abstract = True
    actor = "harness"

    def call(self, service: str, operation: str, **kwargs):
        """Call ``service.operation`` and report it to locust (time, size, exception)."""
        client = _client(self.host, self.actor, service)
        started = time.perf_counter()
        response, error = None, None
        try:
            response = getattr(client, operation)(**kwargs)
        except Exception as exc:  # reported, not raised: a failed call is a statistic
            error = exc
        events.request.fire(
            request_type="boto3",
            name=f"{service}.{operation}",
            response_time=(time.perf_counter() - started) * 1000,
            response_length=len(str(response)) if response else 0,
            exception=error,
            context={},
        )
        return response


class BenignUser(Boto3User):
    """Everyday traffic: inventory reads, object writes, application log lines, metrics."""

    weight = 10
    wait_time = between(0.5, 1.5)
    actor = "workload"

    def on_start(self) -> None:
        self.stream = f"app-{uuid.uuid4().hex[:8]}"
        self.call(
            "logs", "create_log_stream", logGroupName=LOAD_LOG_GROUP, logStreamName=self.stream
        )

    @task(5)
    def describe_instances(self) -> None:
        self.call("ec2", "describe_instances")

    @task(3)
    def describe_security_groups(self) -> None:
        self.call("ec2", "describe_security_groups")

    @task(2)
    def list_buckets(self) -> None:
        self.call("s3", "list_buckets")

    @task(3)
    def put_object(self) -> None:
        key = f"reports/{uuid.uuid4().hex}.json"
        self.call("s3", "put_object", Bucket=LOAD_BUCKET, Key=key, Body=b'{"ok": true}')

    @task(2)
    def list_users(self) -> None:
        self.call("iam", "list_users")

    @task(4)
    def put_log_events(self) -> None:
        now = int(time.time() * 1000)
        lines = [
            f"GET /api/items/{random.randint(1, 999)} 200 {random.randint(3, 90)}ms"
            for _ in range(5)
        ]
        self.call(
            "logs",
            "put_log_events",
            logGroupName=LOAD_LOG_GROUP,
            logStreamName=self.stream,
            logEvents=[{"timestamp": now, "message": line} for line in lines],
        )

    @task(2)
    def put_metric_data(self) -> None:
        self.call(
            "cloudwatch",
            "put_metric_data",
            Namespace="Lab/App",
            MetricData=[
                {"MetricName": "Latency", "Value": random.uniform(3, 90), "Unit": "Milliseconds"}
            ],
        )

    @task(1)
    def who_am_i(self) -> None:
        self.call("sts", "get_caller_identity")


class AttackerUser(Boto3User):
    """Detonates one of the lab's techniques (``LAB_LOAD_TECHNIQUES``, comma separated; default:
    the configuration-change ones), then reverts it, at a slow pace."""

    weight = 1
    wait_time = between(5, 10)

    def on_start(self) -> None:
        names = os.environ.get("LAB_LOAD_TECHNIQUES", "ec2-sg-open-ssh,s3-bucket-public-acl")
        self.endpoints = Endpoints(None if self.host in (None, "", "aws") else self.host, REGION)
        self.techniques = [
            TechniqueRun(technique(n.strip()), self.endpoints)
            for n in names.split(",")
            if n.strip()
        ]

    @task
    def detonate_and_revert(self) -> None:
        chosen = random.choice(self.techniques)
        started = time.perf_counter()
        error = None
        try:
            chosen.detonate()  # warms up first, once
            chosen.revert()
        except Exception as exc:
            error = exc
        events.request.fire(
            request_type="technique",
            name=chosen.id,
            response_time=(time.perf_counter() - started) * 1000,
            response_length=0,
            exception=error,
            context={},
        )
