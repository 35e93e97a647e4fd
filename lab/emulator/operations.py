"""Which AWS operation an HTTP request is, for every protocol, read off botocore's service models.

botocore already knows every service's protocol, signing name and REST routes; this module inverts
them (request -> operation), which no library does for us: moto's own dispatch stops at its Flask
routes and does not name the operation for REST services in a reusable way.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from functools import cache
from typing import Any
from urllib.parse import parse_qsl, unquote

import botocore.session
from botocore.model import ServiceModel

from lab.emulator import layouts

# Signing names that differ from botocore's service names.
SIGNING_NAME_ALIASES = {
    "monitoring": "cloudwatch",
    "states": "stepfunctions",
    "tagging": "resourcegroupstaggingapi",
    "email": "ses",
    "config": "config",
    "execute-api": "apigateway",
}
# "Filter": FilterLogEvents reads (CloudTrail records readOnly true and no responseElements for it).
READ_ONLY_PREFIXES = (
    "Describe",
    "Get",
    "List",
    "Head",
    "Lookup",
    "Test",
    "Search",
    "Select",
    "Filter",
)
_CREDENTIAL = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/([^/]+)/aws4_request")


@dataclass(frozen=True)
class Operation:
    """A resolved API call: the service, the operation and its parameters as CloudTrail shows them."""

    service: ServiceModel
    name: str
    region: str | None
    request_parameters: dict[str, Any] | None

    @property
    def event_source(self) -> str:
        return f"{self.service.endpoint_prefix}.amazonaws.com"

    @property
    def output_shape(self) -> Any:
        try:
            return self.service.operation_model(self.name).output_shape
        except Exception:  # an action the model does not know
            return None

    @property
    def read_only(self) -> bool:
        return self.name.startswith(READ_ONLY_PREFIXES)


@cache
def _session() -> botocore.session.Session:
    return botocore.session.get_session()


@cache
def service_model(signing_name: str) -> ServiceModel | None:
    """botocore's model for the service that signs with ``signing_name``."""
    name = SIGNING_NAME_ALIASES.get(signing_name, signing_name)
    try:
        return _session().get_service_model(name)
    except Exception:  # botocore raises UnknownServiceError / DataNotFoundError
        return None


@dataclass(frozen=True)
class _Route:
    regex: re.Pattern[str]
    method: str
    query_keys: frozenset[str]  # query keys the route needs (from the URI and required members)
    header_keys: frozenset[str]  # headers the route needs (required header members)
    operation: str
    specificity: int


@cache
def _rest_routes(signing_name: str) -> list[_Route]:
    """The REST routes of a service, most specific first."""
    model = service_model(signing_name)
    routes = []
    for op_name in model.operation_names:
        op = model.operation_model(op_name)
        uri = op.http.get("requestUri", "/")
        path, _, query = uri.partition("?")
        query_keys = {k.split("=")[0] for k in query.split("&") if k}
        header_keys = set()
        shape = op.input_shape
        for member in shape.required_members if shape is not None else []:
            ser = shape.members[member].serialization
            if ser.get("location") == "header":
                header_keys.add(ser.get("name", member).lower())
            elif ser.get("location") == "querystring":
                query_keys.add(ser.get("name", member))
        pattern, literal = "", 0
        for part in re.split(r"(\{[^}]+\})", path):
            if part.startswith("{"):
                label = _group(part)
                pattern += f"(?P<{label}>.+)" if part.endswith("+}") else f"(?P<{label}>[^/]+)"
            else:
                pattern += re.escape(part)
                literal += len(part)
        specificity = literal * 10 + (len(query_keys) + len(header_keys)) * 100
        routes.append(
            _Route(
                re.compile(f"^{pattern}/?$"),
                op.http["method"],
                frozenset(query_keys),
                frozenset(header_keys),
                op_name,
                specificity,
            )
        )
    routes.sort(key=lambda r: -r.specificity)
    return routes


def _group(label: str) -> str:
    return re.sub(r"\W", "", label.strip("{}+")) or "label"


def lower_camel(name: str) -> str:
    return name[:1].lower() + name[1:] if name else name


def _camel_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {lower_camel(k): _camel_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_camel_keys(v) for v in value]
    return value


def query_to_nested(pairs: list[tuple[str, str]], ec2_style: bool) -> dict[str, Any]:
    """Flat query parameters (``A.1.B=x``) as CloudTrail's nested ``requestParameters``.

    EC2 writes lists as ``{"items": [...]}``; the other query services (IAM, SNS, STS) as plain lists
    with their ``member`` / ``entry`` segments dropped.
    """
    root: dict[Any, Any] = {}
    for key, value in pairs:
        if key in ("Action", "Version"):
            continue
        parts = [p for p in key.split(".") if p not in ("member", "entry")]
        node = root
        for part, following in zip(parts, [*parts[1:], None], strict=True):
            slot: Any = int(part) if part.isdigit() else lower_camel(part)
            if following is None:
                node[slot] = value
            else:
                node = node.setdefault(slot, {})
    return _lists(root, ec2_style)


_SECURITY_GROUP_RULE_CALLS = {
    "AuthorizeSecurityGroupIngress",
    "AuthorizeSecurityGroupEgress",
    "RevokeSecurityGroupIngress",
    "RevokeSecurityGroupEgress",
}


def typed(value: Any, shape: Any) -> Any:
    """``value`` (a query request's strings) with the types the operation's input ``shape`` gives
    its members: CloudTrail writes numbers and booleans where the service does (``fromPort: 22``,
    ``encrypted: false``), a query protocol sends everything as text. Members are matched by name
    or by their query / location name, whatever the case; what the model does not know stays as
    it is."""
    if shape is None:
        return value
    kind = shape.type_name
    if kind == "structure" and isinstance(value, dict):
        members: dict[str, Any] = {}
        for name, member in shape.members.items():
            for alias in (
                name,
                member.serialization.get("name"),
                member.serialization.get("queryName"),
            ):
                if alias:
                    members.setdefault(alias.lower(), member)
        return {k: typed(v, members.get(str(k).lower())) for k, v in value.items()}
    if kind == "list":
        if isinstance(value, dict) and set(value) == {"items"}:
            return {"items": [typed(v, shape.member) for v in value["items"]]}
        if isinstance(value, list):
            return [typed(v, shape.member) for v in value]
        return value
    if not isinstance(value, str):
        return value
    try:
        if kind in ("integer", "long"):
            return int(value)
        if kind in ("float", "double"):
            return float(value)
    except ValueError:
        return value
    if kind == "boolean" and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return value


def _input_shape(model: ServiceModel, action: str) -> Any:
    try:
        return model.operation_model(action).input_shape
    except Exception:  # an action the model does not know (moto's own extras)
        return None


def _lists(node: Any, ec2_style: bool) -> Any:
    """Turn dicts keyed by list positions into lists (EC2: wrapped in ``items``)."""
    if not isinstance(node, dict):
        return node
    if node and all(isinstance(k, int) for k in node):
        items = [_lists(node[k], ec2_style) for k in sorted(node)]
        return {"items": items} if ec2_style else items
    return {k: _lists(v, ec2_style) for k, v in node.items()}


def resolve(
    method: str, path: str, query: str, headers: dict[str, str], body: bytes
) -> Operation | None:
    """The operation an HTTP request to the emulator invokes, or None if it is not an AWS call;
    its parameters in the layout CloudTrail records (``lab.emulator.layouts``)."""
    op = _resolve(method, path, query, headers, body)
    if op is None:
        return None
    parameters = layouts.request_parameters(
        op.event_source,
        op.name,
        op.request_parameters,
        region=op.region,
        headers=headers,
        body=body,
    )
    return replace(op, request_parameters=parameters)


def _resolve(
    method: str, path: str, query: str, headers: dict[str, str], body: bytes
) -> Operation | None:
    match = _CREDENTIAL.search(headers.get("authorization", ""))
    if not match:
        return None
    region, signing_name = match.group(1), match.group(2)
    model = service_model(signing_name)
    if model is None:
        return None
    protocol = model.protocol
    if headers.get("x-amz-target") and protocol in ("query", "ec2"):
        protocol = "json"  # a newer client speaking JSON to a service the older model calls query
    if protocol in ("query", "ec2"):
        pairs = parse_qsl(query, keep_blank_values=True)
        if body and "x-www-form-urlencoded" in headers.get("content-type", ""):
            pairs += parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        action = dict(pairs).get("Action")
        if not action:
            return None
        nested = query_to_nested(pairs, ec2_style=protocol == "ec2")
        if action in _SECURITY_GROUP_RULE_CALLS and "ipPermissions" not in nested:
            # The legacy form (top-level cidrIp, ipProtocol, fromPort, toPort): CloudTrail records
            # an empty ipPermissions beside them, and a rule matching only its items misses it.
            nested["ipPermissions"] = {}
        return Operation(model, action, region, typed(nested, _input_shape(model, action)))
    if protocol == "json" or headers.get("x-amz-target"):
        target = headers.get("x-amz-target", "")
        name = target.rpartition(".")[2]
        if not name:
            return None
        return Operation(model, name, region, _camel_keys(_json_body(body)))
    return _resolve_rest(model, signing_name, region, method, path, query, headers, body)


def _json_body(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def _resolve_rest(
    model: ServiceModel,
    signing_name: str,
    region: str,
    method: str,
    path: str,
    query: str,
    headers: dict[str, str],
    body: bytes,
) -> Operation | None:
    query_pairs = parse_qsl(query, keep_blank_values=True)
    query_keys = {k for k, _ in query_pairs}
    for route in _rest_routes(signing_name):
        if route.method != method or not route.query_keys <= query_keys:
            continue
        if not route.header_keys <= headers.keys():
            continue
        found = route.regex.match(unquote(path))
        if not found:
            continue
        params: dict[str, Any] = {}
        for label, value in found.groupdict().items():
            params["bucketName" if label == "Bucket" else lower_camel(label)] = value
        # S3's records keep a sub-resource key with its empty value ("acl": ""); the SDK's own
        # routing hint (x-id) is not a parameter.
        keep_empty = model.protocol == "rest-xml"
        params |= {lower_camel(k): v for k, v in query_pairs if (v or keep_empty) and k != "x-id"}
        if model.protocol == "rest-json" and isinstance(parsed := _json_body(body), dict):
            params |= _camel_keys(parsed)
        return Operation(model, route.operation, region, params or None)
    return None
