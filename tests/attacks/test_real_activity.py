"""Activity techniques made real for a real account (lab.attacks.real_activity), exercised on the
emulator: the instances, the group rule and the Run Command scripts each one starts, and revert
cancelling them. (The scripts themselves run only on AWS instances.)"""

from lab.attacks import real_activity
from lab.attacks.registry import technique


def _commands(emulator, command_id: str) -> dict:
    ssm = emulator.endpoints.client("ssm")
    return ssm.list_commands(CommandId=command_id)["Commands"][0]


def test_brute_force_runs_from_an_attacker_instance_in_the_subnet(emulator):
    e = emulator.endpoints
    brute = technique("ec2-ssh-brute-force")
    prerequisites = brute.warm_up(e)
    real_activity.detonate(e, brute.metadata.activity, prerequisites, brute.id)
    ec2 = e.client("ec2")
    attacker = ec2.describe_instances(InstanceIds=[prerequisites["attacker_instance_id"]])
    attacker = attacker["Reservations"][0]["Instances"][0]
    assert attacker["SubnetId"] == prerequisites["subnet_id"]
    assert attacker["IamInstanceProfile"]["Arn"].endswith("/lab-attacker-instance")
    group = ec2.describe_security_groups(GroupIds=[prerequisites["group_id"]])["SecurityGroups"][0]
    allowed = {r["CidrIp"] for p in group["IpPermissions"] for r in p["IpRanges"]}
    assert f"{prerequisites['attacker_ip']}/32" in allowed
    ((command_id, instance_id),) = prerequisites["commands"]
    assert instance_id == prerequisites["attacker_instance_id"]
    command = _commands(emulator, command_id)
    script = "\n".join(command["Parameters"]["commands"])
    target_ip = ec2.describe_instances(InstanceIds=[prerequisites["instance_id"]])["Reservations"][
        0
    ]["Instances"][0]["PrivateIpAddress"]
    assert f'"$user@{target_ip}"' in script and "for user in admin root" in script
    # Contained = the attacker instance's own address denied (the one GuardDuty would name).
    prerequisites["active"] = True
    assert not brute.is_remediated(e, prerequisites)
    ec2.revoke_security_group_ingress(
        GroupId=prerequisites["group_id"],
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": f"{prerequisites['attacker_ip']}/32"}],
            }
        ],
    )
    assert brute.is_remediated(e, prerequisites)
    real_activity.stop(e, prerequisites)
    assert "commands" not in prerequisites
    real_activity.delete_attacker(e, brute.id)
    brute.cleanup(e, prerequisites)


def test_mining_resolves_its_domains_on_the_target_itself(emulator):
    e = emulator.endpoints
    mining = technique("ec2-crypto-mining-dns")
    prerequisites = mining.warm_up(e)
    real_activity.detonate(e, mining.metadata.activity, prerequisites, mining.id)
    ((command_id, instance_id),) = prerequisites["commands"]
    assert instance_id == prerequisites["instance_id"]
    script = "\n".join(_commands(emulator, command_id)["Parameters"]["commands"])
    assert "pool.minexmr.com" in script and "getent hosts" in script
    assert "/dev/tcp/198.51.100.77/$port" in script
    real_activity.stop(e, prerequisites)
    mining.cleanup(e, prerequisites)


def test_scripts_follow_the_activity_metadata():
    scan = technique("ec2-port-scan").metadata.activity
    lines = real_activity.outbound_script(scan)
    assert any("for port in 21 22 23" in line for line in lines)
    assert any("sleep 0.05" in line for line in lines)  # 20 connections a second
