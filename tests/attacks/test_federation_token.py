"""sts-federation-token on an account whose caller is a role session (as `aws sso login` or an
assumed role gives): STS refuses GetFederationToken with session credentials, so the technique
refuses before anything is created, and the emulated account refuses the call as STS does."""

import json

import pytest
from botocore.exceptions import ClientError

from lab.attacks.registry import technique
from lab.emulator import endpoints as endpoints_module
from lab.emulator.endpoints import Endpoints

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"},
    ],
}


@pytest.fixture
def role_session(emulator, monkeypatch):
    """Real-account endpoints (the default credential chain) whose credentials are a role
    session of the emulated account."""
    e = emulator.endpoints
    arn = e.client("iam").create_role(
        RoleName="lab-operator", AssumeRolePolicyDocument=json.dumps(TRUST)
    )["Role"]["Arn"]
    session = e.client("sts").assume_role(RoleArn=arn, RoleSessionName="me")["Credentials"]
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_CONFIG_FILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", session["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", session["SecretAccessKey"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", session["SessionToken"])
    monkeypatch.setenv("AWS_ENDPOINT_URL", emulator.url)
    endpoints_module._client.cache_clear()
    yield Endpoints(url=None, region=e.region)
    endpoints_module._client.cache_clear()


def test_sts_refuses_a_federation_token_to_session_credentials(emulator, role_session):
    sts = role_session.client("sts", "attacker")
    assert ":assumed-role/lab-operator/" in sts.get_caller_identity()["Arn"]
    with pytest.raises(ClientError, match="with session credentials") as refused:
        sts.get_federation_token(Name="lab-persistence")
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    # An IAM user's long-term keys get one.
    attacker = emulator.endpoints.client("sts", "attacker")
    assert attacker.get_federation_token(Name="lab-persistence")["FederatedUser"]


def test_the_technique_refuses_a_role_session_before_creating_anything(emulator, role_session):
    iam = emulator.endpoints.client("iam")
    before = [u["UserName"] for u in iam.list_users()["Users"]]
    with pytest.raises(RuntimeError, match="IAM user's long-term access keys"):
        technique("sts-federation-token").warm_up(role_session)
    assert [u["UserName"] for u in iam.list_users()["Users"]] == before
