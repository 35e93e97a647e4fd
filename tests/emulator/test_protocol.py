"""Every JSON-protocol service the stacks, the scripts and the techniques use answers each
``X-Amz-Target`` form AWS's SDKs send: botocore's namespaced prefix (boto3, the aws CLI) and the
service shape's own name (aws-sdk-go-v2, which Terraform's provider uses). Real requests over HTTP;
only the header differs between the two forms."""

from __future__ import annotations

import contextlib
import json

import pytest

# (service, a read-only operation every account answers, its parameters)
JSON_SERVICES = [
    ("cloudtrail", "describe_trails", {}),
    ("events", "list_rules", {}),
    ("logs", "describe_log_groups", {}),
    ("ssm", "describe_parameters", {}),
    ("kms", "list_keys", {}),
    ("config", "describe_config_rules", {}),
    ("sqs", "list_queues", {}),
    ("secretsmanager", "list_secrets", {}),
    ("stepfunctions", "list_state_machines", {}),
    ("route53resolver", "list_resolver_query_log_configs", {}),
    ("organizations", "describe_organization", {}),
    ("cloudwatch", "describe_alarms", {}),
    ("ecr", "describe_repositories", {}),
]


def _call(session, emulator, service: str, operation: str, params: dict, short: bool) -> dict:
    """One request as the SDK makes it, with the target header in the asked form: the target sent,
    the HTTP status and the raw answer (a 4xx is data here, not an exception)."""
    client = session.client(service, endpoint_url=emulator.url, region_name=emulator.region)
    seen: dict = {}

    def rewrite(request, **_):
        target = request.headers.get("X-Amz-Target")
        if target is None:
            return
        prefix, name = (target.decode() if isinstance(target, bytes) else target).rsplit(".", 1)
        form = f"{prefix.rsplit('.', 1)[-1] if short else prefix}.{name}"
        del request.headers["X-Amz-Target"]
        request.headers["X-Amz-Target"] = form
        seen["target"] = form

    def keep(response_dict, **_):
        seen["status"] = response_dict["status_code"]
        seen["body"] = response_dict["body"]

    client.meta.events.register_first("before-send.*", rewrite)
    client.meta.events.register("before-parse.*", keep)
    with contextlib.suppress(client.exceptions.ClientError):
        getattr(client, operation)(**params)
    return seen


@pytest.mark.parametrize(
    ("service", "operation", "params"), JSON_SERVICES, ids=[s[0] for s in JSON_SERVICES]
)
def test_each_target_form_reaches_the_same_handler(emulator, service, operation, params):
    model = emulator.endpoints.client(service).meta.service_model
    if "json" not in model.metadata.get("protocols", [model.protocol]):
        pytest.skip(f"{service} speaks no JSON protocol in this botocore")
    session = emulator.endpoints.session("harness")
    long = _call(session, emulator, service, operation, params, short=False)
    short = _call(session, emulator, service, operation, params, short=True)
    assert long.get("target") and short.get("target"), "the SDK sent no X-Amz-Target"
    assert long["status"] != 404, long
    assert short["status"] == long["status"], (short, long)
    assert short["body"] == long["body"]


def test_the_short_cloudtrail_target_terraform_sends_reaches_create_trail(emulator):
    """Terraform's CreateTrail, answered as AWS answers it (the bucket's policy does not let
    CloudTrail write, so the refusal), not with moto 5.2.6's 404."""
    emulator.endpoints.client("s3").create_bucket(Bucket="trail-bucket")
    answer = _call(
        emulator.endpoints.session("harness"),
        emulator,
        "cloudtrail",
        "create_trail",
        {"Name": "t", "S3BucketName": "trail-bucket"},
        True,
    )
    assert answer["target"] == "CloudTrail_20131101.CreateTrail"
    assert answer["status"] == 400, answer
    assert json.loads(answer["body"])["__type"].endswith("InsufficientS3BucketPolicyException")
