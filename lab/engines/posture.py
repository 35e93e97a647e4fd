"""Security-state judgements, written once (after Prowler's shared ``check_security_group``): is a
rule open to the world, does it let a port in, is a grant, a policy statement or a snapshot
permission public. The
techniques read their own effect back with them and the simulated Config rules judge the account
with them, so an attack and its detection never disagree on what "open" means."""

from __future__ import annotations

from typing import Any

WORLD_V4 = "0.0.0.0/0"
WORLD_V6 = "::/0"
ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"
AUTHENTICATED_USERS = "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"
PUBLIC_GROUPS = (ALL_USERS, AUTHENTICATED_USERS)
EVERYONE = ("*", {"AWS": "*"})
# Canned ACLs that grant to everyone or to every AWS account holder (S3 User Guide, "Canned ACL").
PUBLIC_CANNED_ACLS = frozenset({"public-read", "public-read-write", "authenticated-read"})


def world_open(permission: dict[str, Any]) -> bool:
    """A security group permission (``IpPermissions`` item) open to every IPv4 or IPv6 address."""
    return any(r.get("CidrIp") == WORLD_V4 for r in permission.get("IpRanges", [])) or any(
        r.get("CidrIpv6") == WORLD_V6 for r in permission.get("Ipv6Ranges", [])
    )


def covers_port(permission: dict[str, Any], port: int | None) -> bool:
    """Does the permission let ``port`` in (``None``: any port at all)?"""
    if permission.get("IpProtocol") == "-1" or port is None:
        return True
    low, high = permission.get("FromPort"), permission.get("ToPort")
    return low is None or (low <= port <= (high if high is not None else low))


def world_open_tcp_ranges(group: dict[str, Any]) -> list[tuple[int, int]]:
    """The TCP port ranges a security group lets in from the whole Internet (all traffic counts
    as 0-65535), as AWS Config's managed rules read them."""
    opened = []
    for permission in group.get("IpPermissions", []):
        if not world_open(permission):
            continue
        if permission.get("IpProtocol") == "-1":
            opened.append((0, 65535))
        elif permission.get("IpProtocol") in ("tcp", "6"):
            opened.append((permission.get("FromPort", 0), permission.get("ToPort", 65535)))
    return opened


def public_grant(grant: dict[str, Any]) -> bool:
    """An S3 ACL grant to everyone or to every AWS account holder."""
    return grant.get("Grantee", {}).get("URI") in PUBLIC_GROUPS


def public_statement(statement: dict[str, Any]) -> bool:
    """A policy statement that allows everyone (any principal)."""
    return statement.get("Effect") == "Allow" and statement.get("Principal") in EVERYONE


def public_volume_permission(permission: dict[str, Any]) -> bool:
    """A snapshot's ``createVolumePermission`` entry that lets every AWS account restore it."""
    return permission.get("Group") == "all"


def statements(policy: dict[str, Any]) -> list[dict[str, Any]]:
    """A policy's statements as a list (a single statement may be written as an object)."""
    found = policy.get("Statement", [])
    return found if isinstance(found, list) else [found]
