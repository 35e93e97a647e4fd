"""root-account-usage: the root user's credentials used to weaken the password policy (T1078.004)."""

from __future__ import annotations

from pathlib import Path

from lab.attacks.base import Prerequisites, Technique
from lab.attacks.resources import missing_ok
from lab.emulator.endpoints import Endpoints

# CIS AWS Foundations Benchmark v1.4, control 1.8: a minimum password length of 14.
STRONG_POLICY = {
    "MinimumPasswordLength": 14,
    "RequireSymbols": True,
    "RequireNumbers": True,
    "RequireUppercaseCharacters": True,
    "RequireLowercaseCharacters": True,
    "AllowUsersToChangePassword": True,
    "MaxPasswordAge": 90,
    "PasswordReusePrevention": 24,
}
WEAK_POLICY = {"MinimumPasswordLength": 6, "AllowUsersToChangePassword": True}


class RootAccountUsage(Technique):
    folder = Path(__file__).parent
    needs_root = True

    def warm_up(self, endpoints: Endpoints) -> Prerequisites:
        """The account password policy set to the CIS-strong one."""
        prerequisites: Prerequisites = {}
        self.revert(endpoints, prerequisites)
        return prerequisites

    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        iam = endpoints.client("iam", "root")
        iam.get_account_summary()
        iam.update_account_password_policy(**WEAK_POLICY)

    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        with missing_ok("NoSuchEntity"):
            policy = endpoints.client("iam", "observer").get_account_password_policy()[
                "PasswordPolicy"
            ]
            return policy.get("MinimumPasswordLength", 0) >= STRONG_POLICY["MinimumPasswordLength"]
        return False

    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        endpoints.client("iam", "harness").update_account_password_policy(**STRONG_POLICY)

    def cleanup(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        with missing_ok("NoSuchEntity"):
            endpoints.client("iam", "harness").delete_account_password_policy()


TECHNIQUE = RootAccountUsage
