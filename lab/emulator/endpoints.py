"""The one place that tells every client where the account is: boto3, the aws CLI, Terraform.

With ``url`` set, clients talk to the emulator and sign as a named actor; with ``url`` unset, they use
the caller's normal AWS credential chain (real account).
"""

from __future__ import annotations

import os
import shlex
import sys
import urllib.request
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import boto3
import botocore.loaders
import botocore.session
from botocore.config import Config

from lab.awscli_fork import cli_path_and_socket
from lab.emulator.actors import DEFAULT_ACCOUNT_ID, actor

# The aws CLI's config file on the emulator: its plugin makes AWS_ENDPOINT_URL reach every service.
CLI_CONFIG_FILE = Path(__file__).resolve().parent.parent / "awscli_endpoint.ini"


@dataclass(frozen=True)
class Endpoints:
    """Endpoint settings for one account: the emulator at ``url``, or real AWS when ``url`` is None."""

    url: str | None
    region: str = "us-east-1"
    # On a real account: the named profile of the root user's credentials, for the actor "root"
    # (every other actor is the caller's own credential chain).
    root_profile: str | None = None

    @property
    def emulated(self) -> bool:
        return self.url is not None

    def session(self, actor_name: str = "harness") -> boto3.Session:
        """A boto3 session signing as ``actor_name`` on the emulator (default chain on real AWS)."""
        if not self.emulated:
            profile = self.root_profile if actor_name == "root" else None
            return boto3.Session(profile_name=profile, region_name=self.region)
        who = actor(actor_name)
        return boto3_session(
            aws_access_key_id=who.access_key_id,
            aws_secret_access_key=who.secret_access_key,
            region_name=self.region,
        )

    def client(self, service: str, actor_name: str = "harness") -> Any:
        """A boto3 client for ``service`` (cached: clients are thread-safe and costly to build)."""
        return _client(self, service, actor_name)

    def account_id(self) -> str:
        """The account's id: the emulator's own, or asked once (it never changes). No call on the
        emulator, so a trial's calls do not depend on what ran before it in the process."""
        return DEFAULT_ACCOUNT_ID if self.emulated else _account_id(self)

    def cli_env(self, actor_name: str = "baseline") -> dict[str, str]:
        """Environment variables for the ``aws`` CLI (and any SDK) to reach this account."""
        # The aws CLI installed beside this interpreter comes first, so runs use the pinned one.
        path = f"{os.path.dirname(sys.executable)}{os.pathsep}{os.environ.get('PATH', '')}"
        env = {
            "AWS_DEFAULT_REGION": self.region,
            "AWS_REGION": self.region,
            "AWS_PAGER": "",
            "PATH": path,
        }
        fork = cli_path_and_socket()  # the same CLI, without its start-up per call
        if fork is not None:
            env |= {"PATH": f"{fork[0]}{os.pathsep}{path}", "LAB_AWS_CLI_SOCKET": fork[1]}
        if self.emulated:
            who = actor(actor_name)
            env |= {
                "AWS_ENDPOINT_URL": self.url or "",
                "AWS_CONFIG_FILE": str(CLI_CONFIG_FILE),
                "AWS_ACCESS_KEY_ID": who.access_key_id,
                "AWS_SECRET_ACCESS_KEY": who.secret_access_key,
                "AWS_MAX_ATTEMPTS": "2",
            }
        return env

    def post_lab_route(self, path: str, body: bytes = b"") -> bytes:
        """POST to one of the emulator's own routes (``/_lab/...``: what the account does on its
        own on AWS and no API call asks for); the answer's body. Only the emulator has them."""
        if not self.emulated:
            raise RuntimeError(
                f"{path} is a route of the emulated account; a real account has none"
            )
        request = urllib.request.Request(f"{self.url}{path}", data=body, method="POST")
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.read()

    def terraform_vars(self) -> dict[str, str | None]:
        """Variables of ``terraform/`` that point the AWS provider at this account."""
        return {"aws_region": self.region, "aws_endpoint_url": self.url}

    def export_lines(self, actor_name: str = "harness") -> str:
        """Shell ``export`` lines a user pastes to point the aws CLI and SDKs at this account."""
        env = {
            k: v
            for k, v in self.cli_env(actor_name).items()
            if k not in ("PATH", "LAB_AWS_CLI_SOCKET")
        }
        return "\n".join(f"export {k}={shlex.quote(v)}" for k, v in sorted(env.items()))


def boto3_session(**settings: Any) -> boto3.Session:
    """``boto3.Session(**settings)`` whose service models are read through this process's one
    botocore loader, which keeps what it has parsed: a new session (another actor, an assumed
    role's credentials) builds its first clients without reading the models from disk again
    (about 0.2 s a session). Same models, same clients."""
    core = botocore.session.get_session()
    if core.get_config_variable("data_path"):  # AWS_DATA_PATH: models of its own
        return boto3.Session(botocore_session=core, **settings)
    core.register_component("data_loader", _loader())
    session = boto3.Session(botocore_session=core, **settings)
    paths = _loader().search_paths  # boto3 appends its own data folder to the loader's paths
    paths[:] = list(dict.fromkeys(paths))
    return session


@lru_cache(maxsize=1)
def _loader() -> botocore.loaders.Loader:
    return botocore.loaders.create_loader()


@lru_cache(maxsize=64)
def _account_id(endpoints: Endpoints) -> str:
    return endpoints.client("sts", "observer").get_caller_identity()["Account"]


@lru_cache(maxsize=256)
def _client(endpoints: Endpoints, service: str, actor_name: str) -> Any:
    # On the emulator, retries are kept short: it answers at once or not at all.
    config = Config(retries={"max_attempts": 2, "mode": "standard"}) if endpoints.emulated else None
    return endpoints.session(actor_name).client(service, endpoint_url=endpoints.url, config=config)
