"""console-login-without-mfa: sign in to the console with a stolen password, no MFA (T1078.004)."""

from __future__ import annotations

import json
from pathlib import Path

from lab.attacks.base import Prerequisites
from lab.attacks.compromised_user import CompromisedUserActivity, attacker_user
from lab.attacks.resources import missing_ok
from lab.emulator.compat.cloudtrail import CLOUDTRAIL_EVENT_PATH
from lab.emulator.endpoints import Endpoints

# The record CloudTrail writes for a successful IAM user sign-in without MFA (CloudTrail User
# Guide, "AWS Management Console sign-in events", example record); the identity, address, time and
# ids are the recorder's.
CONSOLE_LOGIN = {
    "eventSource": "signin.amazonaws.com",
    "eventName": "ConsoleLogin",
    "eventType": "AwsConsoleSignIn",
    "responseElements": {"ConsoleLogin": "Success"},
    "additionalEventData": {
        "LoginTo": "https://console.aws.amazon.com/console/home?state=hashArgs%23&isauthcode=true",
        "MobileVersion": "No",
        "MFAUsed": "No",
    },
}


class ConsoleLoginWithoutMfa(CompromisedUserActivity):
    folder = Path(__file__).parent

    def prepare(self, endpoints: Endpoints) -> Prerequisites:
        """The user has a console password (the one the attacker phished)."""
        with missing_ok("EntityAlreadyExists"):
            endpoints.client("iam", "harness").create_login_profile(
                UserName=attacker_user(), Password="Lab-Phished-Password-1!"
            )
        return {}

    def act(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        """A browser sign-in has no API call the emulator could answer: the CloudTrail record is
        injected, as the emulator's recorder writes any record, marked ``lab.injected``."""
        if not endpoints.emulated:
            raise RuntimeError(
                "console-login-without-mfa signs in with a browser: on a real account, sign in by "
                "hand as the user; the lab only injects the record on the emulator"
            )
        endpoints.post_lab_route(
            f"{CLOUDTRAIL_EVENT_PATH}/attacker", json.dumps(CONSOLE_LOGIN).encode()
        )


TECHNIQUE = ConsoleLoginWithoutMfa
