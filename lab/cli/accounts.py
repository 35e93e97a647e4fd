"""Accounts: ``lab emulator``, ``lab deploy`` / ``destroy``, ``lab effort``, ``lab cleanup``, and
the guardrails in front of ``lab run --target aws``."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Annotated, Any

import typer

from lab.cli.output import console, err, fail

ArchitectureArg = Annotated[str, typer.Argument(help="manual or serverless")]
EndpointOpt = Annotated[
    str,
    typer.Option(help="Emulator URL (from `lab emulator`); real AWS is not reachable from here."),
]
WorkdirOpt = Annotated[
    Path, typer.Option(help="Where deployment state (terraform state, ids) is kept.")
]
RegionOpt = Annotated[str, typer.Option(help="AWS region of the account.")]


def account_target(
    stack: contextlib.ExitStack,
    scenario: Any,
    out: Path,
    yes: bool,
    stand_in: bool,
    time_factor: float,
    poll: float,
    prompt: bool,
) -> Any:
    """The real account (or the stand-in) as a target, once the guardrails passed: allow-listed
    account, a plan with its cost estimate, and your confirmation (or ``--yes``)."""
    from botocore.exceptions import BotoCoreError, ClientError

    from lab.emulator import EmulatorServer, Endpoints
    from lab.targets.account import AwsTarget, EstimateUnavailable, cost_estimate, write_plan
    from lab.targets.guardrails import (
        GuardrailError,
        allowed_account,
        load_config,
        region_of,
        root_techniques_allowed,
    )

    try:
        config = load_config()
        root_techniques_allowed(list(scenario.techniques), config)
        emulator = stack.enter_context(EmulatorServer()) if stand_in else None
        endpoints = (
            emulator.endpoints
            if emulator
            else Endpoints(url=None, region=region_of(config), root_profile=config.aws.root_profile)
        )
        account = allowed_account(endpoints, config)
        estimate = cost_estimate(scenario, out, config.aws.max_run_s)
    except (GuardrailError, EstimateUnavailable) as exc:
        fail(str(exc))
    except (BotoCoreError, ClientError) as exc:
        fail(f"cannot reach the account: {exc}", code=1)
    console.print(write_plan(scenario, account, estimate, config.aws.max_run_s), highlight=False)
    if not yes and not typer.confirm("go ahead?"):
        fail("declined: nothing was created", code=1)
    if config.aws.permissions_boundary:  # every role and user the lab creates carries it
        from lab.attacks.resources import BOUNDARY_ENV

        os.environ[BOUNDARY_ENV] = config.aws.permissions_boundary

    def ask(text: str) -> None:
        typer.prompt(f"{text}\npress Enter when done", default="", show_default=False)

    return AwsTarget(
        endpoints,
        config.aws.max_run_s,
        stand_in=emulator,
        time_factor=time_factor if stand_in else 1.0,
        poll_s=poll,
        prompt=ask if prompt else None,
    )


def permissions_dry_run(scenario: Any, policy: Path | None) -> None:
    """``lab run --target aws --dry-run``: rehearse the scenario's arms and techniques on an
    emulated account (no AWS call) and list each IAM action your credentials would make, checked
    against ``policy``; exit 1 when it refuses any."""
    from lab.architectures.registry import build
    from lab.attacks.registry import technique
    from lab.cli.output import progress_bar
    from lab.targets.guardrails import GuardrailError, load_config, region_of
    from lab.targets.permissions import LAB_POLICY, check, kept_rehearsal, listing

    policy = policy or LAB_POLICY
    if not policy.is_file():
        fail(f"--policy {policy}: no such file")
    try:
        json.loads(policy.read_text())
        region = region_of(load_config())
    except (json.JSONDecodeError, GuardrailError) as exc:
        fail(f"{exc}")
    run_id = f"{scenario.name}-dry-run"
    arms = [build(name, run_id, scenario.arm_options(name)) for name in scenario.architectures]
    chosen = [t for t in scenario.techniques if not technique(t).needs_root]
    left_out = sorted(set(scenario.techniques) - set(chosen))
    console.print(
        f"dry run: nothing on AWS. Rehearsing {len(arms)} architectures x {len(chosen)} techniques "
        f"on an emulated account; each IAM action checked against {policy} in {region}.",
        highlight=False,
    )
    kept = kept_rehearsal(arms, chosen)
    if kept is not None and kept.is_file():
        console.print(
            f"the same rehearsal on this code is kept ({kept}): its actions are checked again "
            "(LAB_SNAPSHOTS=0 rehearses anew)",
            highlight=False,
        )
    with progress_bar() as bar:
        # each architecture: its deploy, each technique, its destroy
        task = bar.add_task("starting", total=len(arms) * (len(chosen) + 2))
        actions, missing = check(
            arms, chosen, policy, region, lambda d: bar.update(task, description=d, advance=1)
        )
    console.print(listing(actions, missing), highlight=False, soft_wrap=True)
    if left_out:
        console.print(
            f"left out (they act as the root user, with aws.root_profile's credentials): "
            f"{', '.join(left_out)}",
            highlight=False,
        )
    console.print(f"{len(actions)} IAM actions, {len(missing)} refused by {policy.name}")
    raise typer.Exit(1 if missing else 0)


def emulator(
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0 = a free one).")] = 0,
    actor: Annotated[
        str, typer.Option(help="Whose credentials the export lines carry.")
    ] = "harness",
    trail: Annotated[
        bool,
        typer.Option(help="Print each recorded call as a CloudTrail record, one JSON line each."),
    ] = False,
) -> None:
    """Run the emulated account in the foreground and print the exports to point clients at it."""
    from lab.emulator import EmulatorServer

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with EmulatorServer(port=port) as server:
        console.print("# emulated AWS account is up; paste these lines into a shell:")
        console.print(server.endpoints.export_lines(actor), highlight=False)
        console.print("# Ctrl-C to stop", highlight=False)
        sys.stdout.flush()
        try:
            while not stop.is_set():
                stop.wait(0.5)
                if trail:
                    for record in server.recorder.drain():
                        # Plain stdout, never rich: a record is one line, whatever its length,
                        # so `lab emulator --trail | jq` works.
                        public = {k: v for k, v in record.items() if k != "lab"}
                        sys.stdout.write(json.dumps(public, default=str) + "\n")
                    sys.stdout.flush()
        except KeyboardInterrupt:
            pass


def _architecture_and_endpoints(name: str, endpoint: str, region: str) -> tuple[Any, Any]:
    """The named architecture and the emulator's endpoint settings, or a clear error."""
    from lab.architectures.registry import build
    from lab.emulator import Endpoints

    try:
        return build(name, "manual"), Endpoints(url=endpoint, region=region)
    except KeyError as exc:
        fail(str(exc.args[0]))


def deploy(
    architecture: ArchitectureArg,
    endpoint: EndpointOpt,
    workdir: WorkdirOpt = Path(".work"),
    region: RegionOpt = "us-east-1",
) -> None:
    """Deploy one architecture into a running emulated account."""
    arch, endpoints = _architecture_and_endpoints(architecture, endpoint, region)
    console.print_json(json.dumps(arch.deploy(endpoints, workdir / architecture)))


def destroy(
    architecture: ArchitectureArg,
    endpoint: EndpointOpt,
    workdir: WorkdirOpt = Path(".work"),
    region: RegionOpt = "us-east-1",
) -> None:
    """Destroy an architecture deployed with `lab deploy` (same --workdir)."""
    arch, endpoints = _architecture_and_endpoints(architecture, endpoint, region)
    arch.destroy(endpoints, workdir / architecture)
    console.print(f"{architecture} destroyed")


def effort(
    out: Annotated[
        Path | None, typer.Option(help="Also write the table as CSV to this file.")
    ] = None,
    workdir: Annotated[Path, typer.Option(help="Where deployment state is kept meanwhile.")] = Path(
        ".work/effort"
    ),
) -> None:
    """Build effort of both architectures: deploy each into a fresh emulated account and measure."""
    import pandas as pd
    from rich.progress import Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from lab.architectures.effort import COLUMN_TITLES, measure

    rows = []
    with Progress(TextColumn("{task.description}"), TimeElapsedColumn(), console=console) as bar:
        for name in ("manual", "serverless"):
            task = bar.add_task(f"deploying and destroying {name}")
            rows.append(measure(name, workdir))
            bar.update(task, completed=1)
    frame = pd.DataFrame(rows)
    table = Table(
        title="Build effort",
        caption="lines: non-blank, non-comment; writes: successful non-read-only calls; AWS time "
        "adds instance boot + user data (manual) or IAM propagation (serverless) from the calibration",
    )
    for column in frame.columns:
        table.add_column(COLUMN_TITLES.get(column, column), no_wrap=True)
    for record in frame.to_dict("records"):
        table.add_row(*(str(v) for v in record.values()))
    console.print(table)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(out, index=False)
        console.print(f"written: {out}")


def cleanup(
    run: Annotated[
        str | None, typer.Option("--run", help="Only what this run id tagged (lab:run-id).")
    ] = None,
    endpoint: Annotated[
        str | None,
        typer.Option(help="An emulator's URL (no guardrails). Default: the real account."),
    ] = None,
    stand_in: Annotated[
        str | None,
        typer.Option(
            help="Treat the account at this URL as a real one, guardrails included (to test the "
            "AWS path against an emulator)."
        ),
    ] = None,
    region: RegionOpt = "us-east-1",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="List, delete nothing.")] = False,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Find everything the lab tagged (lab:project; --run: one run's lab:run-id) and delete it:
    the Resource Groups Tagging API plus IAM and S3, dependents first. In a real account the
    account must be on the allow-list of ~/.config/lab/config.yaml, and you confirm first."""
    from botocore.exceptions import BotoCoreError, ClientError

    from lab.emulator import Endpoints
    from lab.targets.cleanup import cleanup as run_cleanup
    from lab.targets.cleanup import tagged_resources
    from lab.targets.guardrails import GuardrailError, allowed_account, load_config

    real = endpoint is None
    endpoints = Endpoints(url=endpoint or stand_in, region=region)
    try:
        if real:
            config = load_config()
            endpoints = Endpoints(url=stand_in, region=config.aws.region or region)
            account = allowed_account(endpoints, config)
            console.print(f"account {account} (on the allow-list), region {endpoints.region}")
        found = tagged_resources(endpoints, run)
    except GuardrailError as exc:
        fail(str(exc))
    except (BotoCoreError, ClientError) as exc:
        fail(f"cannot read the account: {exc}", code=1)
    scope = f"run {run}" if run else "every lab run"
    if not found:
        console.print(f"nothing tagged by the lab ({scope}): nothing to delete")
        return
    for arn in found:
        console.print(f"  {arn}", highlight=False)
    if dry_run:
        console.print(f"{len(found)} resources tagged ({scope}); --dry-run: nothing deleted")
        return
    if real and not yes and not typer.confirm(f"delete these {len(found)} resources?"):
        fail("declined: nothing deleted", code=1)
    report = run_cleanup(endpoints, run)
    console.print(f"deleted {len(report.deleted)} of {len(report.found)} ({scope})")
    for arn, reason in report.failed.items():
        err.print(f"[red]not deleted[/] {arn}: {reason}")
    if report.failed:
        raise typer.Exit(1)
