"""EC2: instances and their volumes run all month; every public IPv4 address is billed, in use or
not (VPC pricing, since 2024-02-01)."""

from __future__ import annotations

from lab.cost.bill import HOURS_PER_MONTH, Bill, Month

SERVICES = ("ec2", "ebs", "vpc")


def meter(month: Month, bill: Bill) -> None:
    inventory = month.inventory
    for instance_type, count in sorted(inventory.get("ec2_instances", {}).items()):
        bill("compute", "ec2", f"{instance_type}_hours", count * HOURS_PER_MONTH)
    if inventory.get("ebs_gb"):
        bill("compute", "ebs", "gp3_gb_month", inventory["ebs_gb"])
    if inventory.get("public_ipv4"):  # every public IPv4 address, in use or not
        bill("compute", "vpc", "public_ipv4_hours", inventory["public_ipv4"] * HOURS_PER_MONTH)
