"""The serverless architecture: ``terraform/`` applied with the offline Terraform runner."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from lab import settings
from lab.architectures.lambda_package import build_all
from lab.architectures.terraform_runner import Terraform
from lab.emulator.endpoints import Endpoints
from lab.paths import FUNCTIONS_DIR, TERRAFORM_DIR


@dataclass
class ServerlessArchitecture:
    """Terraform stack; ``variables`` override the module's defaults (e.g. to switch a rule off)."""

    variables: dict[str, Any] = field(default_factory=dict)
    run_id: str = "manual"
    name: str = "serverless"
    # Its deploy is kept and replayed (``snapshot.py``): Terraform's requests wait for answers only.
    replayable: ClassVar[bool] = True

    def terraform(self, endpoints: Endpoints, workdir: Path) -> Terraform:
        build_dir = workdir.resolve() / "build" / "functions"  # terraform reads it from its own cwd
        build_all(FUNCTIONS_DIR, build_dir)
        variables = {
            **endpoints.terraform_vars(),
            "run_id": self.run_id,
            "functions_build_dir": str(build_dir),
            **(
                {"permissions_boundary_arn": boundary}
                if (boundary := settings.current().permissions_boundary)
                else {}
            ),
            **self.variables,
        }
        env = endpoints.cli_env("terraform") if endpoints.emulated else {}
        return Terraform(TERRAFORM_DIR, workdir / "terraform", variables, env)

    def deploy(self, endpoints: Endpoints, workdir: Path) -> dict[str, Any]:
        tf = self.terraform(endpoints, workdir)
        tf.prepare()
        tf.init()
        tf.apply()
        return tf.output()

    def destroy(self, endpoints: Endpoints, workdir: Path) -> None:
        tf = self.terraform(endpoints, workdir)
        if not (workdir / "terraform" / "terraform.tfstate").exists():
            return
        tf.destroy()
