import re

import pytest

from lab.attacks.registry import technique, techniques


@pytest.mark.parametrize("technique_id", sorted(techniques()))
def test_metadata_and_detonate_revert_cleanup(emulator, technique_id):
    t = technique(technique_id)
    assert re.fullmatch(r"T\d{4}(\.\d{3})?", t.metadata.mitre_attack.technique_id)
    assert t.metadata.references
    e = emulator.endpoints
    prerequisites = t.warm_up(e)
    assert t.is_remediated(e, prerequisites)
    t.detonate(e, prerequisites)
    assert not t.is_remediated(e, prerequisites)
    t.revert(e, prerequisites)
    assert t.is_remediated(e, prerequisites)
    t.revert(e, prerequisites)  # idempotent
    t.cleanup(e, prerequisites)
    lab_groups = e.client("ec2").describe_security_groups(
        Filters=[{"Name": "tag:lab:technique", "Values": [technique_id]}]
    )["SecurityGroups"]
    assert lab_groups == []


def test_detonation_is_made_by_the_attacker(emulator):
    t = technique("ec2-sg-open-ssh")
    prerequisites = t.warm_up(emulator.endpoints)
    t.detonate(emulator.endpoints, prerequisites)
    record = [
        r for r in emulator.recorder.records() if r["eventName"] == "AuthorizeSecurityGroupIngress"
    ][-1]
    assert record["lab"]["actor"] == "attacker"


def test_unknown_technique_names_the_known_ones():
    with pytest.raises(KeyError, match="ec2-sg-open-ssh"):
        technique("nope")
