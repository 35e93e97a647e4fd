"""Every service: JSON requests as every AWS SDK sends them, from clients newer than moto's models."""

from __future__ import annotations

from typing import Any


def apply() -> None:
    _patch_json_protocol_for_newer_clients()
    _patch_short_json_targets()


def short_target_prefix(target_prefix: str) -> str:
    """The target prefix the Smithy-built SDKs send (aws-sdk-go-v2, which Terraform's AWS provider
    uses; the JS and Java v2 SDKs): the service shape's own name, the last segment of botocore's
    namespaced ``targetPrefix`` (``com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101`` ->
    ``CloudTrail_20131101``). Where the prefix has no namespace both forms are the same."""
    return target_prefix.rsplit(".", 1)[-1]


def _patch_short_json_targets() -> None:
    """Gap: moto 5.2.6 routes a JSON request only by the exact ``X-Amz-Target``
    ``<botocore targetPrefix>.<Operation>`` and answers 404 to the short form
    ``CloudTrail_20131101.CreateTrail`` that Terraform's provider sends (moto 5.2.5 took the text
    after the last dot, whatever came before). AWS accepts both forms: its SDKs send both. Each JSON
    router also knows the short form of every operation, so either reaches the same handler."""
    from moto.core.routing import JSONRouter

    original_init = JSONRouter.__init__
    if getattr(original_init, "_lab_short_targets", False):
        return

    def __init__(self: Any, service_model: Any) -> None:
        original_init(self, service_model)
        prefix = service_model.metadata.get("targetPrefix")
        if not prefix:
            return
        short = short_target_prefix(prefix)
        for name in service_model.operation_names:
            self._operations_by_target.setdefault(
                f"{short}.{name}", service_model.operation_model(name)
            )

    __init__._lab_short_targets = True  # type: ignore[attr-defined]
    JSONRouter.__init__ = __init__  # type: ignore[method-assign]


def _patch_json_protocol_for_newer_clients() -> None:
    """Gap: the aws CLI bundles a newer botocore than boto3's, in which query services such as
    CloudWatch also speak the JSON protocol (``protocols: [smithy-rpc-v2-cbor, json, query]``) and
    the CLI picks JSON; moto checks the protocol against the older model (query only) and answers
    500. AWS accepts both, and moto's responses read parameters from a JSON body generically, so a
    JSON request is taken as JSON whatever the older model lists. moto 5.2.6 passes the request
    where 5.2.5 passed its content type: either is taken."""
    import moto.core.request as request_module
    import moto.core.responses as responses_module
    import moto.core.routing as routing_module

    original = request_module.determine_request_protocol

    def determine_request_protocol(service_model: Any, request_or_type: Any = None) -> str:
        try:
            return original(service_model, request_or_type)
        except NotImplementedError:
            content_type = getattr(request_or_type, "content_type", request_or_type)
            if "json" in (content_type or ""):
                return "json"
            raise

    for module in (request_module, responses_module, routing_module):
        module.determine_request_protocol = determine_request_protocol  # type: ignore[attr-defined]
