"""STS: GetFederationToken only with an IAM user's long-term keys."""

from __future__ import annotations

from typing import Any

from lab.emulator.compat.policies import assumed_role


def apply() -> None:
    _patch_federation_token_needs_user_keys()


def _patch_federation_token_needs_user_keys() -> None:
    """Gap: moto mints federation tokens for any caller. AWS (STS API Reference,
    GetFederationToken: "You must call the GetFederationToken operation using the long-term
    security credentials of an IAM user"; https://docs.aws.amazon.com/STS/latest/APIReference/
    API_GetFederationToken.html) refuses temporary credentials (a role session, an SSO session, a
    federated user's) with AccessDenied "Cannot call GetFederationToken with session credentials"."""
    from moto.sts.exceptions import STSClientError
    from moto.sts.responses import TokenResponse

    original = TokenResponse.get_federation_token

    def get_federation_token(self: TokenResponse) -> Any:
        key = self.get_access_key()
        if key.startswith("ASIA") or assumed_role(key) is not None:
            raise STSClientError(
                "AccessDenied", "Cannot call GetFederationToken with session credentials"
            )
        return original(self)

    TokenResponse.get_federation_token = get_federation_token  # type: ignore[method-assign]
