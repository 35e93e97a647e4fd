"""Compatibility patches for the moto gaps that Terraform, the stacks or the simulator hit, one
module per service (after moto's own layout), the documentation winning.

This package is the only code that patches moto. Each patch names the gap and what AWS documents,
and is covered by a test in ``tests/emulator/test_compat.py`` that talks to the emulator over HTTP. State a
patch adds to the account lives on moto's backend of the account and region, so the emulator's
``reset`` clears it with the rest; ``running`` holds only what belongs to this process's running
emulators. ``apply()`` is idempotent.
"""

from __future__ import annotations

from lab.emulator.compat import (
    accounts,
    awslambda,
    cloudtrail,
    config,
    dispatch,
    ec2,
    ec2instanceconnect,
    guardduty,
    iam,
    kms,
    logs,
    organizations,
    protocol,
    route53resolver,
    s3,
    securityhub,
    sns,
    ssm,
    stepfunctions,
    sts,
)
from lab.emulator.compat.routes import Route

SERVICES = (
    cloudtrail,
    config,
    awslambda,
    stepfunctions,
    securityhub,
    iam,
    ec2,
    protocol,
    logs,
    ssm,
    s3,
    kms,
    route53resolver,
    organizations,
    ec2instanceconnect,
    guardduty,
    sns,
    sts,
    dispatch,  # speed only: moto's per-request work on fixed data, done once
    accounts,  # speed only: moto's per-account work on fixed data, done once
)
_applied = False


def apply() -> None:
    """Install every service's patches (once per process)."""
    global _applied
    if _applied:
        return
    for service in SERVICES:
        service.apply()
    _applied = True


def routes() -> tuple[Route, ...]:
    """Every service's lab routes."""
    return tuple(route for service in SERVICES for route in getattr(service, "ROUTES", ()))


__all__ = ["Route", "apply", "routes"]
