"""Every service: JSON requests from clients newer than moto's service models."""

from __future__ import annotations

from typing import Any


def apply() -> None:
    _patch_json_protocol_for_newer_clients()


def _patch_json_protocol_for_newer_clients() -> None:
    """Gap: the aws CLI bundles a newer botocore than boto3's, in which query services such as
    CloudWatch also speak the JSON protocol (``protocols: [smithy-rpc-v2-cbor, json, query]``) and
    the CLI picks JSON; moto checks the protocol against the older model (query only) and answers
    500. AWS accepts both, and moto's responses read parameters from a JSON body generically, so a
    JSON request is taken as JSON whatever the older model lists."""
    import moto.core.request as request_module
    import moto.core.responses as responses_module
    import moto.core.routing as routing_module

    original = request_module.determine_request_protocol

    def determine_request_protocol(service_model: Any, content_type: str | None = None) -> str:
        try:
            return original(service_model, content_type)
        except NotImplementedError:
            if "json" in (content_type or ""):
                return "json"
            raise

    for module in (request_module, responses_module, routing_module):
        module.determine_request_protocol = determine_request_protocol  # type: ignore[attr-defined]
