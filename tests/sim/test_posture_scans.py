"""The monitoring instance's posture report by e-mail: a scan's new FAIL, published to the account's
alert topic with the report line by e-mail and one short line as a page; a scan's answer kept by
the account's scanner while nothing the checks read was written, and by no other scanner."""

import json
from types import SimpleNamespace

from lab.engines.alert_message import PAGE_MAX_CHARS
from lab.sim.posture_scans import (
    CspmSchedule,
    PostureFinding,
    PostureScans,
    Scanner,
    event_sources,
)
from lab.sim.sns import copy_for


def test_a_posture_fail_is_e_mailed_whole_and_paged_as_one_line(emulator):
    e = emulator.endpoints
    topic = e.client("sns", "harness").create_topic(Name="lab-manual-alerts")["TopicArn"]
    scans = PostureScans.__new__(PostureScans)  # only its delivery to the topic
    scans.sim = SimpleNamespace(endpoints=e, pump=lambda **kwargs: None)
    resource = f"arn:aws:ec2:{e.region}:{e.account_id()}:security-group/sg-1"
    check = "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22"
    scans._to_topic(topic, PostureFinding(check, resource, "FAIL", "High", "SSH open"))
    (params,) = [
        r["requestParameters"]
        for r in emulator.recorder.records()
        if r["eventName"] == "Publish" and not r.get("errorCode")
    ]
    page, mail = copy_for(params, "sms"), copy_for(params, "email")
    assert page.startswith(f"[lab-manual] Prowler High: {check} | {resource} in {e.region}")
    assert len(page) <= PAGE_MAX_CHARS
    assert json.loads(mail)["detail"] == {
        "prowlerCheck": check,
        "resource": resource,
        "resourceId": "sg-1",
        "severity": "High",
        "title": "SSH open",
    }


def test_a_scans_answer_lives_on_its_accounts_scanner_until_a_write_reaches_its_checks(emulator):
    check = "ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22"
    asked = []

    def scan(checks):
        asked.append(checks)
        return [PostureFinding(check, "sg-1", "PASS", "High", "SSH closed")]

    def scans_with(scanner):
        scans = PostureScans.__new__(PostureScans)  # only its scans and their answers
        scans.sim = SimpleNamespace(recorder=emulator.recorder)
        scans.schedule = CspmSchedule(scanner, 3600, (check,))
        scans.sources, scans.reused = event_sources((check,)), 0
        return scans

    account = Scanner(scan)
    first = scans_with(account)
    answer = first._scan()
    assert first._scan() is answer and first.reused == 1  # nothing written: the same answer
    later_trial = scans_with(account)  # the same account's next trial keeps it
    assert later_trial._scan() is answer and len(asked) == 1
    ec2 = emulator.endpoints.client("ec2", "harness")
    ec2.create_security_group(GroupName="scanned", Description="a write the check reads")
    later_trial._scan()
    assert len(asked) == 2  # a configuration write to EC2: scanned again
    other_account = scans_with(Scanner(scan))
    other_account._scan()
    assert len(asked) == 3 and other_account.reused == 0  # another account's scanner starts empty
