"""SNS: publishing to a KMS-encrypted topic needs the key; CreateTopic of an existing topic with
other tags is refused; a Publish with ``MessageStructure=json`` needs a ``default`` entry."""

from __future__ import annotations

import json
import re
from typing import Any

from moto.kms.models import kms_backends
from moto.sns.exceptions import SNSException
from moto.sns.responses import SNSResponse

from lab.emulator.compat.policies import assumed_role, key_policy_allows

# The key actions a publisher needs on an encrypted topic's key (SNS Developer Guide, "Securing
# Amazon SNS data with server-side encryption": the publisher needs kms:GenerateDataKey* and
# kms:Decrypt on the customer managed key, in its identity policy and the key policy).
PUBLISH_KEY_ACTIONS = ("kms:GenerateDataKey", "kms:Decrypt")
_CREDENTIAL = re.compile(r"Credential=([A-Z0-9]+)/")


class KMSAccessDenied(SNSException):
    code = "KMSAccessDenied"


def apply() -> None:
    _patch_publish_needs_the_topic_key()
    _patch_create_topic_with_other_tags()
    _patch_json_structure_needs_a_default()


def json_structure_error(message: str) -> str | None:
    """Why SNS refuses ``message`` as a ``MessageStructure=json`` body, or None. The body must be
    a JSON object with a top-level ``default`` entry whose value is a string (SNS API Reference,
    Publish, ``MessageStructure``); the refusals are InvalidParameter with these words (as AWS
    answers them, quoted in aws/aws-sdk-ruby#346 and localstack/localstack#8487)."""
    try:
        body = json.loads(message)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        return "Invalid parameter: Message Structure - JSON message body failed to parse"
    if not isinstance(body.get("default"), str):
        return "Invalid parameter: Message Structure - No default entry in JSON message body"
    return None


def _patch_json_structure_needs_a_default() -> None:
    """Gap: moto takes a ``MessageStructure=json`` body as it comes and looks for the entry of each
    subscription's protocol only when it delivers (a topic with no subscriber, or one whose
    protocol has its own entry, accepts a body without ``default``). AWS checks the body first and
    refuses the whole Publish (no partial delivery): see ``json_structure_error``."""
    from moto.sns.exceptions import InvalidParameterValue
    from moto.sns.models import SNSBackend

    original = SNSBackend.publish

    def publish(self: SNSBackend, message: str, arn: str | None, *args: Any, **kwargs: Any) -> Any:
        if kwargs.get("message_structure") == "json":
            error = json_structure_error(message)
            if error:
                raise InvalidParameterValue(error)
        return original(self, message, arn, *args, **kwargs)

    SNSBackend.publish = publish  # type: ignore[method-assign]


def _patch_create_topic_with_other_tags() -> None:
    """Gap: moto answers CreateTopic of an existing topic with its ARN whatever tags the request
    carries. AWS's CreateTopic is idempotent only for the same tags: a tag the existing topic does
    not have is InvalidParameter "Invalid parameter: Tags Reason: Topic already exists with
    different tags" (as AWS answers it, quoted in localstack/localstack#2405 and #3928), so a rerun
    of a script with a new run id in its tags fails there."""
    from moto.sns.exceptions import InvalidParameterValue
    from moto.sns.models import SNSBackend

    original = SNSBackend.create_topic

    def create_topic(self: SNSBackend, name: str, attributes: Any = None, tags: Any = None) -> Any:
        existing = next((t for t in self.topics.values() if t.name == name), None)
        if (
            existing is not None
            and tags
            and any(existing._tags.get(key) != value for key, value in tags.items())
        ):
            raise InvalidParameterValue(
                "Invalid parameter: Tags Reason: Topic already exists with different tags"
            )
        return original(self, name, attributes, tags)

    SNSBackend.create_topic = create_topic  # type: ignore[method-assign]


def _patch_publish_needs_the_topic_key() -> None:
    """Gap: moto publishes to a topic encrypted with a customer managed key whatever the publisher
    may do with the key. AWS refuses it: KMSAccessDenied (400), "The ciphertext references a key
    that doesn't exist or that you don't have access to." (SNS API Reference, Publish). Checked for
    publishers with an IAM role's temporary credentials (Lambda functions, SSM Automation, instance
    profiles): the key policy and the role's identity policies, with moto's IAM evaluator. The
    lab's own actors (fixed access keys standing for the account's administrators) are not IAM
    principals of the emulated account and are not checked."""
    original = SNSResponse.publish

    def publish(self: SNSResponse) -> Any:
        topic_arn = self._get_param("TopicArn") or self._get_param("TargetArn")
        match = _CREDENTIAL.search(self.headers.get("Authorization", ""))
        role = assumed_role(match.group(1)) if match else None
        caller = (role.account_id, role.role_arn) if role is not None else None
        if topic_arn and caller is not None:
            try:
                topic = self.backend.get_topic(topic_arn)
            except Exception:
                topic = None
            key_id = getattr(topic, "kms_master_key_id", "") if topic is not None else ""
            if key_id and not _may_use_key(caller[0], self.region, key_id, caller[1]):
                raise KMSAccessDenied(
                    "The ciphertext references a key that doesn't exist or that you don't have "
                    "access to."
                )
        return original(self)

    SNSResponse.publish = publish  # type: ignore[method-assign]


def _may_use_key(account_id: str, region: str, key_id: str, role_arn: str) -> bool:
    if key_id.startswith("alias/aws/"):
        return True  # the AWS managed key: usable by principals of the account
    region = key_id.split(":")[3] if key_id.startswith("arn:") else region
    backend = kms_backends[account_id][region]
    try:
        key = backend.describe_key(backend.any_id_to_key_id(key_id))
    except Exception:
        return False
    return all(
        key_policy_allows(account_id, key.policy, role_arn, action, key.arn)
        for action in PUBLISH_KEY_ACTIONS
    )
