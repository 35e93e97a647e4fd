"""Accounts made with the per-account caches are moto's own: the same resources with the same ids,
and a reset still frees what moto's reset frees (LAB_EMULATOR_CACHES=0 is moto as it is)."""

import json
import os
import subprocess
import sys

from lab.emulator import EmulatorServer

# Opens two accounts one after the other in one emulator and prints what each has: ids drawn while
# the accounts were made (default VPC, subnets, security group, managed policies' ids) and after.
ACCOUNTS = """
import json
from lab.emulator import EmulatorServer

seen = []
with EmulatorServer() as emulator:
    for seed in (7, 7, 8):
        emulator.reset()
        emulator.open_account(seed)
        ec2 = emulator.endpoints.client("ec2", "harness")
        iam = emulator.endpoints.client("iam", "harness")
        s3 = emulator.endpoints.client("s3", "harness")
        s3.create_bucket(Bucket="lab-accounts-test")
        group = ec2.create_security_group(GroupName="g", Description="d")["GroupId"]
        policies = iam.list_policies(Scope="AWS", MaxItems=1000)["Policies"]
        seen.append({
            "vpcs": [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"]],
            "subnets": sorted(s["SubnetId"] for s in ec2.describe_subnets()["Subnets"]),
            "groups": sorted(g["GroupId"] for g in ec2.describe_security_groups()["SecurityGroups"]),
            "made": group,
            "policies": len(policies),
            "policy_ids": sorted(p["PolicyId"] + p["Arn"] for p in policies)[:50],
            "admin": iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")[
                "Policy"]["DefaultVersionId"],
            "buckets": [b["Name"] for b in s3.list_buckets()["Buckets"]],
        })
print(json.dumps(seen))
"""


def _accounts(caches: str) -> list[dict]:
    done = subprocess.run(
        [sys.executable, "-c", ACCOUNTS],
        env={**os.environ, "LAB_EMULATOR_CACHES": caches},
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    )
    return json.loads(done.stdout)


def test_accounts_made_with_the_caches_are_moto_s_own():
    cached = _accounts("1")
    assert cached == _accounts("0")
    first, again, other = cached
    assert first == again  # a reset account, opened with the same seed, is the same account
    assert first["vpcs"] != other["vpcs"]
    assert first["policies"] == 1000  # a full page: a real account has the AWS managed policies
    assert first["buckets"] == ["lab-accounts-test"]  # the reset freed the name for the next


def test_a_reset_drops_every_resource(emulator: EmulatorServer):
    emulator.open_account(3)
    s3 = emulator.endpoints.client("s3", "harness")
    iam = emulator.endpoints.client("iam", "harness")
    s3.create_bucket(Bucket="lab-reset-test")
    iam.create_user(UserName="left-over")
    emulator.reset()
    emulator.open_account(3)
    assert s3.list_buckets()["Buckets"] == []
    assert iam.list_users()["Users"] == []
    s3.create_bucket(Bucket="lab-reset-test")  # the name is free again
