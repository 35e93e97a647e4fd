"""``lab run``, ``lab demo``, ``lab report``, ``lab runs``, ``lab notebooks``, ``lab calibrate``:
experiments and what they publish."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from lab.cli.output import (
    console,
    fail,
    print_published,
    print_summary,
    progress_bar,
    warn_unlocked,
)
from lab.paths import RESULTS_DIR, SCENARIOS_DIR


def run(
    scenario_file: Annotated[Path, typer.Argument(help="Scenario YAML (see scenarios/).")],
    out: Annotated[
        Path, typer.Option(help="Results root; the run goes to OUT/<scenario>/<run-id>/.")
    ] = RESULTS_DIR,
    resume: Annotated[Path | None, typer.Option(help="Continue the run in this directory.")] = None,
    calibration: Annotated[
        Path | None, typer.Option(help="Calibration YAML (default: lab/sim/calibration.yaml).")
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Workers at once, each in its own emulator process (default: two per CPU, at least "
            "one per architecture; spare workers split an architecture's trials when each share "
            "keeps 30 or more, N given: whatever the size). 1: one by one.",
        ),
    ] = None,
    operator: Annotated[
        str | None,
        typer.Option(
            help="Staffing profile of the calibration (on-call, soc-24x7, business-hours, "
            "student-lab) instead of the scenario's; recorded in the manifest and the run id."
        ),
    ] = None,
    target: Annotated[
        str | None,
        typer.Option(
            help="emulated (default) or aws: a real account in wall-clock time, behind the "
            "guardrails (allow-list in ~/.config/lab/config.yaml, plan + cost estimate to "
            "confirm, teardown)."
        ),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="aws: do not ask for confirmation.")] = False,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="aws: touch nothing on AWS; rehearse the run on an emulated account and list "
            "every IAM action it needs, each checked against --policy (exit 1 if any is refused).",
        ),
    ] = False,
    policy: Annotated[
        Path | None,
        typer.Option(
            help="aws --dry-run: the IAM policy your credentials have (default: "
            "docs/aws-lab-policy.json)."
        ),
    ] = None,
    stand_in: Annotated[
        bool,
        typer.Option(
            "--stand-in",
            help="aws: rehearse on an embedded emulated account playing the real one (guardrails, "
            "probes and teardown as on AWS; the simulated services act as AWS in real time).",
        ),
    ] = False,
    time_factor: Annotated[
        float,
        typer.Option(
            min=0.0001, max=1.0, help="aws --stand-in: wall seconds per simulated second."
        ),
    ] = 1.0,
    poll: Annotated[
        float, typer.Option(min=0.01, help="aws: seconds between two probe polls.")
    ] = 10.0,
    prompt: Annotated[
        bool,
        typer.Option(
            "--prompt", help="aws: you are the on-call person (asked to run each runbook)."
        ),
    ] = False,
    cluster: Annotated[
        str | None,
        typer.Option(
            help="Run the units on Dask: local[:N] starts N workers on this machine (default 2), "
            "tcp://HOST:8786 uses a running scheduler whose workers have this lab at this commit "
            "(`dask worker tcp://HOST:8786 --nthreads 1`). Sweep points run at once.",
        ),
    ] = None,
    no_report: Annotated[
        bool,
        typer.Option(
            "--no-report",
            help="Write the trials, the timeline and the manifest only: no figures, no report "
            "(draw them later with `lab report RUN_DIR`).",
        ),
    ] = False,
) -> None:
    """Run a scenario: deploy each architecture, detonate, observe, tear down, write results."""
    from lab.experiment.campaign import prepare, run_campaign
    from lab.experiment.results import ResumeMismatch, new_run_dir
    from lab.experiment.runner import RunError
    from lab.experiment.scenario import ScenarioError

    if target not in (None, "emulated", "aws"):
        fail(f"unknown target {target!r}; known: emulated, aws")
    try:  # every input checked before anything is written
        campaign = prepare(scenario_file, calibration, operator, target)
    except ScenarioError as exc:
        fail(str(exc))
    warn_unlocked()
    if dry_run or policy is not None:
        if campaign.scenario.target != "aws":
            fail("--dry-run lists what a real-account run needs: give it --target aws")
        if not dry_run:
            fail("--policy is read by --dry-run only")
        from lab.cli.accounts import permissions_dry_run

        permissions_dry_run(campaign.scenario, policy)
    if cluster is not None:
        from lab.experiment.cluster import ClusterError, parse_address

        if campaign.scenario.target == "aws":
            fail("--cluster runs on the emulated account only (a real account runs in one place)")
        try:
            parse_address(cluster)
        except ClusterError as exc:
            fail(str(exc))
    if resume is not None and not (resume / "manifest.json").exists():
        fail(f"{resume} is not a run directory (no manifest.json)")
    on_account = campaign.scenario.target == "aws"
    prowler_version = _cspm_tool(campaign.scenario, on_account)
    if campaign.description:
        console.print(campaign.description)
    started = time.perf_counter()
    with contextlib.ExitStack() as stack:
        if on_account:
            from lab.cli.accounts import account_target

            chosen = account_target(
                stack, campaign.scenario, out, yes, stand_in, time_factor, poll, prompt
            )
        else:
            from lab.targets.emulated import EmulatedTarget

            chosen = EmulatedTarget(prowler_version=prowler_version)
        client = None
        if cluster is not None:
            from lab.experiment.cluster import ClusterError, connect

            try:
                client = stack.enter_context(connect(cluster))
            except ClusterError as exc:
                fail(str(exc))
        run_dir = resume or new_run_dir(out, campaign.scenario)
        with progress_bar() as bar:
            task = bar.add_task("starting", total=None)
            try:
                run_campaign(
                    campaign,
                    run_dir,
                    chosen,
                    lambda d, n, t: bar.update(task, description=d, completed=n, total=t),
                    jobs=jobs,
                    cluster=client,
                )
            except ResumeMismatch as exc:
                fail(str(exc))
            except RunError as exc:
                fail(f"{exc}\nresults so far: {run_dir}", code=1)
            except KeyboardInterrupt:
                again = (
                    f"check with: lab cleanup --run {run_dir.name} --dry-run"
                    if on_account
                    else f"continue with: lab run {scenario_file} --resume {run_dir}"
                )
                fail(f"interrupted; deployments torn down. {again}", code=130)
    print_summary(run_dir)
    console.print(f"wall time {time.perf_counter() - started:.1f} s; results in {run_dir}")
    if no_report:
        console.print(f"no figures or report (--no-report); draw them with: lab report {run_dir}")
    else:
        print_published(run_dir)


def demo(out: Annotated[Path, typer.Option(help="Results root.")] = RESULTS_DIR) -> None:
    """The demo (scenarios/demo.yaml): ec2-sg-open-ssh and ec2-ssh-brute-force, 10 trials per
    technique and architecture, on the embedded emulated account."""
    run(SCENARIOS_DIR / "demo.yaml", out=out)


def replay(
    logs: Annotated[
        list[Path],
        typer.Argument(
            help='CloudTrail records: a trail\'s log files (.json / .json.gz), a {"Records": [...]} '
            "document, a JSON list, JSON lines, CloudTrail Lake / Athena exports (an eventJson "
            "column), LookupEvents output."
        ),
    ],
    architecture: Annotated[
        str, typer.Option("--architecture", "-a", help="serverless, manual, or all.")
    ] = "all",
    out: Annotated[
        Path, typer.Option(help="Results root; the replay goes to OUT/replay/<run-id>/.")
    ] = RESULTS_DIR,
    window: Annotated[
        float,
        typer.Option(min=60, help="Seconds each record is watched for after it arrives."),
    ] = 7200,
    calibration: Annotated[
        Path | None, typer.Option(help="Calibration YAML (default: lab/sim/calibration.yaml).")
    ] = None,
    region: Annotated[
        list[str] | None,
        typer.Option(
            help="Region(s) the architecture's EventBridge rules are deployed in (repeatable). "
            "Default: every region the records name. A record of another region reaches no rule; "
            "IAM and other global services are recorded in us-east-1, so a stack deployed "
            "elsewhere sees them only through the trail (CloudWatch Logs filters)."
        ),
    ] = None,
) -> None:
    """Replay real CloudTrail records through a deployed architecture (embedded emulated account,
    virtual time): which records would it have detected, by which path, how fast. Writes
    replay.csv (one row per record and architecture) and a manifest."""
    from lab.architectures.registry import ARCHITECTURES
    from lab.replay.run import replay_run

    chosen = list(ARCHITECTURES) if architecture == "all" else [architecture]
    if any(a not in ARCHITECTURES for a in chosen):
        fail(f"unknown architecture {architecture!r}; one of {', '.join(ARCHITECTURES)} or all")
    records, loaded, regions = _replay_inputs(logs, calibration, region)
    with progress_bar() as bar:
        task = bar.add_task("replaying", total=len(records) * len(chosen))
        run_dir, rows = replay_run(
            logs,
            records,
            chosen,
            out,
            loaded,
            window,
            regions,
            starting=lambda name: bar.update(task, description=f"{name}: deploy, then replay"),
            progress=lambda: bar.advance(task),
        )
    _print_replayed(rows, len(records), run_dir)


def _replay_inputs(
    logs: list[Path], calibration: Path | None, region: list[str] | None
) -> tuple[list[dict[str, Any]], Any, frozenset[str]]:
    """The records, the calibration and the regions of ``lab replay``, or one clear error."""
    import boto3

    from lab.experiment.plan import load_calibration
    from lab.replay.run import ReplayInputError, read_records, record_regions

    try:
        records = read_records(logs)
        loaded = load_calibration(calibration)
        regions = frozenset(region or []) or record_regions(records)
        known = set(boto3.session.Session().get_available_regions("events"))
        if unknown := sorted(set(region or []) - known):
            fail(f"unknown region {', '.join(unknown)}; an AWS region such as us-east-1")
    except ReplayInputError as exc:
        fail(str(exc))
    except (OSError, ValueError) as exc:
        fail(f"{calibration}: {exc}")
    return records, loaded, regions


def _print_replayed(rows: list[Any], records: int, run_dir: Path) -> None:
    from rich.table import Table

    table = Table(title=f"{records} records replayed ({run_dir / 'replay.csv'})")
    for column in ("architecture", "event", "detected", "path", "detect (s)"):
        table.add_column(column)
    for row in rows:
        table.add_row(
            row.architecture,
            f"{row.event_source.split('.')[0]}:{row.event_name}",
            "yes" if row.detected else "no",
            row.path or "-",
            "-" if row.detect_s is None else f"{row.detect_s:.0f}",
        )
    console.print(table)


def report(
    run_dir: Annotated[Path, typer.Argument(help="A run directory (results/<scenario>/<run-id>).")],
    latex: Annotated[
        bool,
        typer.Option(
            "--latex",
            help="Also write RUN_DIR/latex/: every table as a booktabs .tex, figures.tex "
            "(the PDFs with their captions) and report.tex that inputs them.",
        ),
    ] = False,
) -> None:
    """Print a run's summary; redraw its figures; write report.md and a self-contained report.html."""
    from lab.experiment.results import has_trials

    if not has_trials(run_dir):
        fail(f"{run_dir} has no trials.csv (nor a sweep point with one)")
    print_summary(run_dir)
    print_published(run_dir, latex=latex)


def runs(out: Annotated[Path, typer.Option(help="Results root.")] = RESULTS_DIR) -> None:
    """List the runs under the results root with their manifest summary."""
    from rich.table import Table

    from lab.experiment.results import run_summaries

    if not out.is_dir():
        fail(f"--out {out} is not a folder (the results root: where `lab run --out` wrote)")
    rows = run_summaries(out)
    table = Table(title=f"runs in {out}")
    columns = ("scenario", "run", "kind", "status", "target", "seed", "trials", "started", "commit")
    for column in columns:
        table.add_column(column, no_wrap=True)
    for row in rows:
        table.add_row(*(row[c] for c in columns))
    console.print(table)


def notebooks(
    run_dir: Annotated[
        Path | None, typer.Argument(help="A run directory (default: the newest).")
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(help="Where the executed notebooks go (default: RUN_DIR/notebooks)."),
    ] = None,
) -> None:
    """Execute the chapter notebooks (notebooks/*.ipynb) headless against a run; their figures go
    to RUN_DIR/figures, the executed copies (with outputs) to OUT."""
    from lab.experiment.results import RunNotFound, latest_run, read_manifest
    from lab.report.notebooks import NotebookFailed, execute
    from lab.report.notebooks import notebooks as chapter_notebooks

    try:
        run_dir = run_dir or latest_run()
        read_manifest(run_dir)
    except RunNotFound as exc:
        fail(str(exc))
    target = out or run_dir / "notebooks"
    with progress_bar() as bar:
        found = chapter_notebooks()
        task = bar.add_task("notebooks", total=len(found))
        for notebook in found:
            bar.update(task, description=notebook.stem)
            try:
                execute(notebook, run_dir, target)
            except NotebookFailed as exc:
                fail(str(exc), code=1)
            bar.advance(task)
    console.print(f"executed {len(found)} notebooks into {target}")


def calibrate(
    measured: Annotated[
        list[Path], typer.Argument(help="Wall-clock run directories (lab run --target aws).")
    ],
    against: Annotated[
        list[Path],
        typer.Option(help="Emulated run(s) of the same scenario (repeat the option for several)."),
    ],
    out: Annotated[Path, typer.Option(help="The calibration file to write.")] = Path(
        "calibration.measured.yaml"
    ),
    calibration: Annotated[
        Path | None,
        typer.Option(help="The calibration the emulated runs used (default: the lab's)."),
    ] = None,
) -> None:
    """Fit the simulator to measured runs: per architecture, measured / simulated median time to
    alert scales the stages on its alert path (lab/report/alert_paths.yaml). Writes a calibration
    file for `lab run --calibration FILE` and a figure of both distributions beside it."""
    from lab.experiment.results import RunNotFound, read_manifest
    from lab.report.calibrate import CalibrateError, fit_and_write
    from lab.sim.calibration import CalibrationError

    try:
        for run_dir in [*measured, *against]:
            read_manifest(run_dir)
        result = fit_and_write(measured, against, calibration, out)
    except (RunNotFound, CalibrateError, CalibrationError) as exc:
        fail(str(exc))
    console.print(result.table.round(3).to_string(index=False))
    console.print(
        f"calibration: {result.path} (lab run SCENARIO --calibration {result.path}); "
        f"figure: {result.figure}"
    )


def _cspm_tool(scenario: Any, on_account: bool) -> str | None:
    """The CSPM tool's version when the scenario scans (Prowler must be installed), else None."""
    if scenario.cspm is None:
        return None
    if on_account:
        fail(
            "cspm: the scanning path runs on the emulated account only (on AWS, run Prowler there)"
        )
    from lab.prowler.tool import ProwlerError, version

    try:
        return version()
    except ProwlerError as exc:
        fail(str(exc))
