"""A thin runner for the ``terraform`` binary: init, apply, plan, destroy and output, offline.

Why not python-terraform (the design card's choice): its last release (0.10.1) predates Terraform
0.15 and passes flags that Terraform 1.x removed (``destroy -force``, a positional directory to
``apply``), so it fails on the Terraform 1.11 this lab targets. This wrapper only builds argument
lists, controls the environment (CLI config pointing at the provider mirror, no network, no prompts)
and turns failures into one readable error.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

# Where an offline copy of the AWS provider may live (filesystem mirror layout:
# <dir>/registry.terraform.io/hashicorp/aws/<version>/<os_arch>/...). LAB_TF_PLUGIN_DIR wins.
PLUGIN_DIR_ENV = "LAB_TF_PLUGIN_DIR"
TERRAFORM_BIN_ENV = "LAB_TERRAFORM"
PLUGIN_DIR_CANDIDATES = (
    "/opt/tf-plugins",
    "~/.terraform.d/plugins",
    "~/.local/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
)
_AWS_PROVIDER = Path("registry.terraform.io/hashicorp/aws")


class TerraformError(RuntimeError):
    """Terraform is missing, or a terraform command failed."""


def find_terraform() -> str:
    """Path of the terraform binary (``$LAB_TERRAFORM`` or PATH)."""
    path = os.environ.get(TERRAFORM_BIN_ENV) or shutil.which("terraform")
    if not path or not Path(path).exists():
        raise TerraformError(
            "terraform was not found. Install Terraform >= 1.5 (https://developer.hashicorp.com/"
            f"terraform/install) and put it on PATH, or set {TERRAFORM_BIN_ENV} to the binary."
        )
    return path


def find_plugin_mirror() -> Path | None:
    """The filesystem mirror holding the AWS provider, or None to let terraform download it.

    ``$LAB_TF_PLUGIN_DIR`` is used when set (and must hold the provider); otherwise the usual
    places are searched.
    """
    explicit = os.environ.get(PLUGIN_DIR_ENV)
    if explicit:
        path = Path(explicit).expanduser()
        if not (path / _AWS_PROVIDER).is_dir():
            raise TerraformError(
                f"{PLUGIN_DIR_ENV}={explicit} does not hold {_AWS_PROVIDER}/<version>/<os_arch>/. "
                "Create a mirror on a connected machine with `terraform providers mirror DIR` "
                "(in terraform/) and point the variable at it."
            )
        return path
    for candidate in PLUGIN_DIR_CANDIDATES:
        path = Path(candidate).expanduser()
        if (path / _AWS_PROVIDER).is_dir():
            return path
    return None


def cli_config(mirror: Path | None) -> str:
    """A Terraform CLI configuration that installs hashicorp providers from the mirror only."""
    if mirror is None:
        return ""
    return (
        "provider_installation {\n"
        f'  filesystem_mirror {{\n    path    = "{mirror}"\n'
        '    include = ["registry.terraform.io/hashicorp/*"]\n  }\n'
        '  direct {\n    exclude = ["registry.terraform.io/hashicorp/*"]\n  }\n}\n'
    )


class Terraform:
    """One working copy of a Terraform root module, with its own state and variables."""

    def __init__(
        self,
        source_dir: Path,
        workdir: Path,
        variables: Mapping[str, Any],
        env: Mapping[str, str] | None = None,
    ):
        self.binary = find_terraform()
        self.source_dir = source_dir.resolve()
        self.workdir = workdir.resolve()  # terraform runs inside it: relative paths would break
        self.variables = {k: v for k, v in variables.items() if v is not None}
        self.env = dict(env or {})

    def prepare(self) -> None:
        """Copy the module into the working directory, write variables and the CLI config."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        shutil.copytree(
            self.source_dir,
            self.workdir,
            dirs_exist_ok=True,
            ignore=shutil.ignore_patterns(".terraform", "*.tfstate*", "__pycache__"),
        )
        (self.workdir / "lab.auto.tfvars.json").write_text(json.dumps(self.variables, indent=2))
        (self.workdir / ".terraformrc").write_text(cli_config(find_plugin_mirror()))

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            **self.env,
            "TF_CLI_CONFIG_FILE": str(self.workdir / ".terraformrc"),
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            "CHECKPOINT_DISABLE": "1",
        }
        result = subprocess.run(
            [self.binary, *args], cwd=self.workdir, env=env, capture_output=True, text=True
        )
        if check and result.returncode != 0:
            raise TerraformError(
                f"terraform {args[0]} failed (exit {result.returncode}) in {self.workdir}:\n"
                f"{result.stderr.strip() or result.stdout.strip()}"
            )
        return result

    def init(self) -> None:
        if not (self.workdir / ".terraformrc").exists():
            self.prepare()
        try:
            self._run("init", "-no-color", "-input=false")
        except TerraformError as exc:
            if find_plugin_mirror() is not None:
                raise
            looked = ", ".join(PLUGIN_DIR_CANDIDATES)
            raise TerraformError(
                "the AWS provider (hashicorp/aws 5.x) could not be installed: no offline mirror was "
                f"found (looked in {looked}) and the registry is not reachable. Create one on a "
                "connected machine with `terraform providers mirror DIR` in terraform/, copy it here "
                f"and set {PLUGIN_DIR_ENV}=DIR.\n{exc}"
            ) from exc

    def apply(self) -> None:
        self._run("apply", "-no-color", "-input=false", "-auto-approve")

    def plan_is_empty(self) -> bool:
        """True when a refresh-and-plan finds nothing to change (exit code 0 vs 2)."""
        result = self._run("plan", "-no-color", "-input=false", "-detailed-exitcode", check=False)
        if result.returncode not in (0, 2):
            raise TerraformError(f"terraform plan failed:\n{result.stderr.strip()}")
        return result.returncode == 0

    def destroy(self) -> None:
        self._run("destroy", "-no-color", "-input=false", "-auto-approve")

    def output(self) -> dict[str, Any]:
        """The root module's outputs as plain values."""
        raw = json.loads(self._run("output", "-no-color", "-json").stdout or "{}")
        return {name: item.get("value") for name, item in raw.items()}
