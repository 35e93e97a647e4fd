"""A thin runner for the ``terraform`` binary: init, apply, plan, destroy and output, offline.

Why not python-terraform (the design card's choice): its last release (0.10.1) predates Terraform
0.15 and passes flags that Terraform 1.x removed (``destroy -force``, a positional directory to
``apply``), so it fails on the Terraform 1.11 this lab targets. This wrapper only builds argument
lists, controls the environment (CLI config pointing at the provider mirror, no network, no prompts)
and turns failures into one readable error.
"""

from __future__ import annotations

import atexit
import json
import os
import queue
import re
import shutil
import subprocess
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from lab import settings

# Where an offline copy of the AWS provider may live (filesystem mirror layout:
# <dir>/registry.terraform.io/hashicorp/aws/<version>/<os_arch>/...). LAB_TF_PLUGIN_DIR wins.
PLUGIN_DIR_ENV = settings.Settings.variable("tf_plugin_dir")
TERRAFORM_BIN_ENV = settings.Settings.variable("terraform")
PLUGIN_DIR_CANDIDATES = (
    "/opt/tf-plugins",
    "~/.terraform.d/plugins",
    "~/.local/share/terraform/plugins",
    "/usr/local/share/terraform/plugins",
    "/usr/share/terraform/plugins",
)
_AWS_PROVIDER = Path("registry.terraform.io/hashicorp/aws")
# "0": every terraform command starts its own AWS provider process (Terraform's default).
REATTACH_ENV = settings.Settings.variable("tf_reattach")
MAX_PROVIDERS = 2
_REATTACH_LINE = re.compile(r"TF_REATTACH_PROVIDERS='(\{.*\})'")
# (provider binary, environment) -> (process, its TF_REATTACH_PROVIDERS value), this process's own.
# Module-level on purpose: it describes this process (the providers it runs, stopped when it ends),
# not a run or an account; every Terraform of the process, whatever it deploys, shares them.
_providers: dict[tuple[str, str], tuple[subprocess.Popen[bytes], str]] = {}
# Runs the provider and stops it with this process, however this process ends (even kill -9). The
# provider's socket goes into a folder of its own, removed after it (killed, the provider leaves it).
# It waits without polling: its stdin is a pipe whose only writer is this process, so a read from
# it ends when this process does; a `sleep 1` loop forked a process a second per provider, about
# 2 % of a core each, for as long as the provider lived.
_WATCHDOG = """
exec 3<&0
own=$(mktemp -d "${TMPDIR:-/tmp}/lab-tf-provider-XXXXXX") || exit 1
TMPDIR=$own "$0" -debug </dev/null 3<&- & provider=$!
{ read -r _ <&3; kill -TERM $$ 2>/dev/null; } & reader=$!
stop() { kill $provider $reader 2>/dev/null; wait $provider 2>/dev/null; rm -rf "$own"; }
trap 'stop; exit 0' TERM INT
wait $provider
stop
"""


# Terraform and the AWS provider are Go programs; Go's collector runs each time the heap doubles
# (GOGC=100). At 400 a serverless deploy (apply, provider included) took 13.7 CPU-s instead of
# 18.8, for 170 MB more at the provider's peak (763 MB instead of 596). Go's documented knob
# (https://pkg.go.dev/runtime#hdr-Environment_Variables); a GOGC set by the user wins.
GO_RUNTIME = {"GOGC": "400"}


class TerraformError(RuntimeError):
    """Terraform is missing, or a terraform command failed."""


def find_terraform() -> str:
    """Path of the terraform binary (``$LAB_TERRAFORM`` or PATH)."""
    path = settings.current().terraform or shutil.which("terraform")
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
    explicit = settings.current().tf_plugin_dir
    if explicit:
        path = explicit.expanduser()
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
            **GO_RUNTIME,
            **os.environ,
            **self.env,
            "TF_CLI_CONFIG_FILE": str(self.workdir / ".terraformrc"),
            "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0",
            "CHECKPOINT_DISABLE": "1",
        }
        if args[0] != "init":
            reattach = _running_provider(self.workdir, env)
            if reattach:
                env["TF_REATTACH_PROVIDERS"] = reattach
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

    def validate(self) -> list[str]:
        """``terraform validate``'s errors (after ``init``), one line each: where, what, why."""
        result = self._run("validate", "-no-color", "-json", check=False)
        try:
            report = json.loads(result.stdout or "{}")
        except json.JSONDecodeError:
            report = {}
        errors = []
        for diagnostic in report.get("diagnostics", []):
            if diagnostic.get("severity") != "error":
                continue
            where = diagnostic.get("range") or {}
            at = f"{where['filename']}:{where['start']['line']}: " if where else ""
            detail = diagnostic.get("detail", "").replace("\n", " ").strip()
            errors.append(
                f"{at}{diagnostic.get('summary', '')}" + (f": {detail}" if detail else "")
            )
        if result.returncode != 0 and not errors:
            errors.append(result.stderr.strip() or "terraform validate failed")
        return errors

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


def _running_provider(workdir: Path, env: dict[str, str]) -> str | None:
    """TF_REATTACH_PROVIDERS for an AWS provider already running with ``env`` (started now if
    needed), or None (turned off, or no provider installed in ``workdir``).

    Each terraform command otherwise starts the 700 MB provider binary again (seconds each, several
    per apply). Terraform's documented provider debug mode (``-debug`` and TF_REATTACH_PROVIDERS)
    lets its commands use one running provider; it is the same binary, configured by each command
    as usual, and started with the environment terraform would have given it."""
    if not settings.Settings.from_environ(env).tf_reattach:
        return None
    installed = sorted(
        (workdir / ".terraform" / "providers" / _AWS_PROVIDER).glob("*/*/terraform-provider-aws*")
    )
    if not installed:
        return None
    binary = os.path.realpath(installed[-1])
    if env.get("AWS_CA_BUNDLE"):
        # A provider configured twice in one process fails to add a CA bundle the second time
        # ("unable to add custom RootCAs HTTPClient"). The emulator speaks plain HTTP, where the
        # bundle is unused; elsewhere each command keeps its own provider.
        if not env.get("AWS_ENDPOINT_URL", "").startswith("http://"):
            return None
        env = {k: v for k, v in env.items() if k != "AWS_CA_BUNDLE"}
    key = (
        binary,
        json.dumps(sorted((k, v) for k, v in env.items() if k != "TF_REATTACH_PROVIDERS")),
    )
    found = _providers.get(key)
    if found and found[0].poll() is None:
        return found[1]
    while len(_providers) >= MAX_PROVIDERS:
        _stop(next(iter(_providers)))
    started = _start_provider(binary, env)
    if started is None:
        return None
    _providers[key] = started
    return started[1]


def _start_provider(binary: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str] | None:
    process = subprocess.Popen(
        ["bash", "-c", _WATCHDOG, binary],
        env=env,
        stdin=subprocess.PIPE,  # never written: its end of file is this process's end
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert process.stdout is not None
    found: queue.Queue[str | None] = queue.Queue()

    def read(stream: IO[bytes]) -> None:  # the reattach line, then drain what it logs
        for raw in stream:
            match = _REATTACH_LINE.search(raw.decode(errors="replace"))
            if match:
                found.put(match.group(1))
        found.put(None)

    threading.Thread(target=read, args=(process.stdout,), daemon=True).start()
    try:
        reattach = found.get(timeout=120)
    except queue.Empty:
        reattach = None
    if reattach is None:
        process.kill()
        return None
    atexit.register(_stop_all)
    return process, reattach


def _stop(key: tuple[str, str]) -> None:
    process, _ = _providers.pop(key)
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def _stop_all() -> None:
    """Stop the providers this process started."""
    for key in list(_providers):
        _stop(key)
