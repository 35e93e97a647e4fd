"""Calls that CloudTrail records in a layout of their own, not in the request's wire form.

``operations.resolve`` turns a request into parameters the generic way (query pairs nested, JSON
bodies, REST labels); for these calls CloudTrail writes something else, and a rule written against
real records reads what CloudTrail writes:

- EC2 ModifySnapshotAttribute: either request form (``Attribute`` + ``OperationType`` +
  ``UserGroup.N`` / ``UserId.N``, or ``CreateVolumePermission.Add.N.Group``) is recorded as
  ``createVolumePermission: {add: {items: [{group: "all"}]}}`` with ``attributeType:
  "CREATE_VOLUME_PERMISSION"``.
- EC2 CreateVolume: ``AvailabilityZone`` is recorded as ``zone``.
- EC2 writes that answer ``<return>true</return>`` (or nothing at all) are recorded with
  ``responseElements._return: true``; EC2's times in ``responseElements`` as epoch milliseconds
  (``createTime: 1764496800000``), IAM's as ``"Nov 29, 2026 10:03:00 AM"``.
- EC2 security-group permissions list every source kind, empty ones as ``{}`` (``groups``,
  ``ipRanges``, ``ipv6Ranges``, ``prefixListIds``).
- S3: every call carries ``Host`` (the bucket's virtual-hosted name) and its sub-resource keys
  with empty values (``acl: ""``, ``policy: ""``); ACL headers as lists (``x-amz-acl:
  ["public-read"]``); PutBucketAcl's body as ``AccessControlPolicy`` (the XML document as JSON:
  attributes by qualified name, a repeated element as a list); PutBucketPolicy's body as
  ``bucketPolicy`` (the policy document itself).

No library does this: CloudTrail's serializer is not published; the layouts are those of AWS's
example records (CloudTrail User Guide, record contents; EC2 and S3 "Logging API calls" pages) and
of the real records under tests/fixtures/cloudtrail/.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

S3_LIST_HEADERS = (
    "x-amz-acl",
    "x-amz-grant-read",
    "x-amz-grant-write",
    "x-amz-grant-read-acp",
    "x-amz-grant-write-acp",
    "x-amz-grant-full-control",
)
_XSI = "http://www.w3.org/2001/XMLSchema-instance"
ISO_INSTANT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:?\d\d)?$")
_PERMISSION_SOURCES = ("groups", "ipRanges", "ipv6Ranges", "prefixListIds")


def request_parameters(
    source: str,
    name: str,
    params: dict[str, Any] | None,
    *,
    region: str | None,
    headers: dict[str, str],
    body: bytes,
) -> dict[str, Any] | None:
    """``params`` in the layout CloudTrail records for ``source``/``name``."""
    if source == "ec2.amazonaws.com" and params is not None:
        if name == "ModifySnapshotAttribute":
            return _snapshot_permission(params)
        if isinstance(params.get("ipPermissions"), dict) and params["ipPermissions"].get("items"):
            items = [
                {**{k: {} for k in _PERMISSION_SOURCES}, **p}
                for p in params["ipPermissions"]["items"]
            ]
            params = {**params, "ipPermissions": {"items": items}}
        if name == "CreateVolume" and "availabilityZone" in params:
            return {("zone" if k == "availabilityZone" else k): v for k, v in params.items()}
        return params
    if source == "s3.amazonaws.com":
        return _s3(name, dict(params or {}), region, headers, body) or None
    return params


def response_elements(source: str, elements: Any, output_shape: Any, account: str) -> Any:
    """``elements`` (the answer as parsed, times on the account's clock) in the layout CloudTrail
    records (EC2's security-group rules name their group's owner, which moto leaves out)."""
    if source == "iam.amazonaws.com" and elements:
        return _times(elements, _iam_time)
    if source != "ec2.amazonaws.com":
        return elements
    elements = _times(_empty_sets(dict(elements or {})), _epoch_ms)
    rules = (elements.get("securityGroupRuleSet") or {}).get("items")
    if rules:
        elements["securityGroupRuleSet"] = {
            "items": [{"groupOwnerId": account, **rule} for rule in rules]
        }
    if "return" in elements:
        elements["_return"] = elements.pop("return")
    elif output_shape is None or not output_shape.members or "Return" in output_shape.members:
        elements["_return"] = True  # EC2 answers <return>true</return> where moto says nothing
    return elements


def _iam_time(moment: datetime) -> str:
    return f"{moment:%b} {moment.day}, {moment:%Y} {moment.hour % 12 or 12}:{moment:%M:%S %p}"


def _epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _times(value: Any, written: Callable[[datetime], Any]) -> Any:
    """Every ISO instant in ``value`` as the service's records write times."""
    if isinstance(value, dict):
        return {k: _times(v, written) for k, v in value.items()}
    if isinstance(value, list):
        return [_times(v, written) for v in value]
    if isinstance(value, str) and ISO_INSTANT.match(value):
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return written(moment if moment.tzinfo else moment.replace(tzinfo=UTC))
    return value


def _empty_sets(value: Any) -> Any:
    """EC2's empty sets (``<tagSet/>``) as ``{}``, as the records write them, not as text."""
    if isinstance(value, dict):
        return {
            k: {} if v == "" and k.endswith("Set") else _empty_sets(v) for k, v in value.items()
        }
    if isinstance(value, list):
        return [_empty_sets(v) for v in value]
    return value


def _snapshot_permission(params: dict[str, Any]) -> dict[str, Any]:
    out = {
        k: v
        for k, v in params.items()
        if k not in ("attribute", "operationType", "userGroup", "userId")
    }
    permission = dict(out.get("createVolumePermission") or {})
    operation = str(params.get("operationType", "")).lower()
    if operation in ("add", "remove"):
        grants = [{"group": g} for g in _items(params.get("userGroup"))]
        grants += [{"userId": u} for u in _items(params.get("userId"))]
        if grants:
            existing = _items(permission.get(operation))
            permission[operation] = {"items": existing + grants}
    if permission or params.get("attribute") == "createVolumePermission":
        out["createVolumePermission"] = permission
        out["attributeType"] = "CREATE_VOLUME_PERMISSION"
    return out


def _items(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return list(value.get("items", []))
    return list(value) if isinstance(value, list) else []


def _s3(
    name: str, params: dict[str, Any], region: str | None, headers: dict[str, str], body: bytes
) -> dict[str, Any]:
    bucket = params.get("bucketName")
    params["Host"] = (
        f"{bucket}.s3.{region}.amazonaws.com" if bucket else f"s3.{region}.amazonaws.com"
    )
    for header in S3_LIST_HEADERS:
        if header in headers:
            params[header] = [headers[header]]
    if name == "PutBucketAcl" and body.strip():
        params["AccessControlPolicy"] = xml_document(body)
    if name == "PutBucketPolicy" and body.strip():
        # Unparsable: S3 refuses it (MalformedPolicy); the record keeps the other parameters.
        with contextlib.suppress(ValueError):
            params["bucketPolicy"] = json.loads(body)
    return params


def xml_document(body: bytes) -> Any:
    """An XML request body as CloudTrail writes it in ``requestParameters``: the root's children
    by element name, attributes by their qualified names (``xsi:type``, with ``xmlns:xsi``), the
    root's namespace as ``xmlns``, a repeated element as a list, text as strings."""
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return None
    converted = _element(root)
    if isinstance(converted, dict) and root.tag.startswith("{"):
        converted["xmlns"] = root.tag[1:].partition("}")[0]
    return converted


def _element(element: ElementTree.Element) -> Any:
    out: dict[str, Any] = {}
    for key, value in element.attrib.items():
        if key.startswith(f"{{{_XSI}}}"):
            out["xmlns:xsi"] = _XSI
            out[f"xsi:{key.rpartition('}')[2]}"] = value
        else:
            out[key] = value
    children = list(element)
    if not children:
        text = (element.text or "").strip()
        return out | ({"value": text} if text else {}) if out else text
    for child in children:
        tag = child.tag.rpartition("}")[2]
        value = _element(child)
        if tag in out:
            out[tag] = [*out[tag], value] if isinstance(out[tag], list) else [out[tag], value]
        else:
            out[tag] = value
    return out
