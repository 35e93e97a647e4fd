"""The ``lab`` command: run experiments on an emulated AWS account and compare the architectures."""

from __future__ import annotations

import json
import signal
import threading
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from lab.paths import RESULTS_DIR, SCENARIOS_DIR

app = typer.Typer(
    help="Lab and benchmark harness: manual (server-based) vs serverless AWS security monitoring, "
    "on the same attacks, in an emulated AWS account (offline) with virtual time.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console(width=max(Console().width, 120))  # the summary table needs ~110 columns
err = Console(stderr=True, soft_wrap=True)  # errors are never wrapped mid-path


def _fail(message: str, code: int = 2) -> None:
    err.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def _print_summary(run_dir: Path) -> None:
    from lab.report.summary import load_trials, summary_table

    table = summary_table(load_trials(run_dir))
    out = Table(
        title=f"{run_dir.name}: seconds from injection (virtual time)",
        caption="TTD: time to detect, TTR: time to remediate; med: median",
    )
    for column in (
        "technique",
        "arch",
        "n",
        "detected",
        "fixed",
        "TTD med",
        "TTD p90",
        "TTR med",
        "TTR p90",
    ):
        justify = "left" if column in ("technique", "arch") else "right"
        out.add_column(column, justify=justify, no_wrap=True, min_width=len(column))

    def fmt(value: object) -> str:
        return "-" if value is None or value != value else f"{value:,.1f}"

    from lab.experiment.sweep import short_name, sweep_columns

    swept = sweep_columns(table)
    for row in table.to_dict("records"):
        point = ", ".join(f"{short_name(c.removeprefix('sweep.'))}={row[c]}" for c in swept)
        out.add_row(
            f"{row['technique']} ({point})" if point else row["technique"],
            row["architecture"],
            str(row["n"]),
            f"{row['detected']:.0%}",
            f"{row['remediated']:.0%}",
            fmt(row["detect_median_s"]),
            fmt(row["detect_p90_s"]),
            fmt(row["remediate_median_s"]),
            fmt(row["remediate_p90_s"]),
        )
    console.print(out)


def _progress_bar() -> Progress:
    """The bar of long commands: what is happening, done / total, time elapsed."""
    return Progress(
        TextColumn("{task.description:<32}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    )


def _report(run_dir: Path) -> tuple[Path, Path]:
    from lab.report.document import write_report

    return write_report(run_dir)


def _figures(run_dir: Path) -> list[Path]:
    from lab.report.coverage import coverage_table
    from lab.report.figures import coverage_matrix, latency_comparison
    from lab.report.summary import load_trials

    trials = load_trials(run_dir)
    return [
        *latency_comparison(trials, run_dir / "figures" / "latency_comparison"),
        *coverage_matrix(coverage_table(trials), run_dir / "figures" / "coverage"),
    ]


@app.command()
def run(
    scenario_file: Path = typer.Argument(..., help="Scenario YAML (see scenarios/)."),
    out: Path = typer.Option(
        RESULTS_DIR, help="Results root; the run goes to OUT/<scenario>/<run-id>/."
    ),
    resume: Path | None = typer.Option(None, help="Continue the run in this directory."),
    calibration: Path | None = typer.Option(
        None, help="Calibration YAML (default: lab/sim/calibration.yaml)."
    ),
    jobs: int | None = typer.Option(
        None,
        min=1,
        help="Workers at once, each in its own emulator process (default: CPUs + 1, at least one "
        "per architecture; spare workers split the manual baseline's trials). 1: one by one.",
    ),
    operator: str | None = typer.Option(
        None,
        help="Staffing profile of the calibration (on-call, soc-24x7, business-hours, student-lab) "
        "instead of the scenario's; recorded in the manifest and the run id.",
    ),
    target: str | None = typer.Option(
        None,
        help="emulated (default) or aws: a real account in wall-clock time, behind the guardrails "
        "(allow-list in ~/.config/lab/config.yaml, plan + cost estimate to confirm, teardown).",
    ),
    yes: bool = typer.Option(False, "--yes", help="aws: do not ask for confirmation."),
    stand_in: bool = typer.Option(
        False,
        "--stand-in",
        help="aws: rehearse on an embedded emulated account playing the real one (guardrails, "
        "probes and teardown as on AWS; the simulated services act as AWS in real time).",
    ),
    time_factor: float = typer.Option(
        1.0, min=0.0001, max=1.0, help="aws --stand-in: wall seconds per simulated second."
    ),
    poll: float = typer.Option(10.0, min=0.01, help="aws: seconds between two probe polls."),
    prompt: bool = typer.Option(
        False, "--prompt", help="aws: you are the on-call person (asked to run each runbook)."
    ),
) -> None:
    """Run a scenario: deploy each architecture, detonate, observe, tear down, write results."""
    from lab.experiment.runner import ResumeMismatch, RunError, new_run_id, run_scenario
    from lab.experiment.scenario import ScenarioError, load_scenario

    try:
        scenario = load_scenario(scenario_file)
    except ScenarioError as exc:
        _fail(str(exc))
    from lab.sim.calibration import DEFAULT_CALIBRATION, Calibration, CalibrationError

    try:  # validated before anything is written
        loaded = Calibration.load(calibration or scenario.calibration or DEFAULT_CALIBRATION)
        if operator is not None:
            loaded.operator(operator)
            scenario = scenario.model_copy(update={"operator": operator})
    except CalibrationError as exc:
        _fail(str(exc))
    except KeyError as exc:
        _fail(str(exc.args[0]))
    if (target or scenario.target) == "aws":
        _run_on_account(scenario, out, calibration, yes, stand_in, time_factor, poll, prompt)
        return
    if scenario.is_sweep:
        from lab.experiment.sweep import validate

        try:  # every point checked before anything is written
            points = validate(scenario, calibration or scenario.calibration or DEFAULT_CALIBRATION)
        except ScenarioError as exc:
            _fail(str(exc))
        console.print(
            f"sweep: {len(points)} points ({len(points) // scenario.repeat} combinations x "
            f"{scenario.repeat} repetitions), {len(scenario.techniques)} techniques, "
            f"{scenario.trials} trials per architecture each"
        )
    run_dir = resume or out / scenario.name / new_run_id(scenario)
    if resume is not None and not (resume / "manifest.json").exists():
        _fail(f"{resume} is not a run directory (no manifest.json)")
    started = time.perf_counter()
    with _progress_bar() as bar:
        task = bar.add_task("starting", total=None)

        def progress(description: str, done: int, total: int) -> None:
            bar.update(task, description=description, completed=done, total=total)

        try:
            if scenario.is_sweep:
                from lab.experiment.sweep import run_sweep

                run_sweep(
                    scenario,
                    run_dir,
                    Path(calibration or scenario.calibration or DEFAULT_CALIBRATION),
                    progress,
                    jobs=jobs,
                )
            else:
                run_scenario(scenario, run_dir, calibration, progress, jobs=jobs)
        except ResumeMismatch as exc:
            _fail(str(exc))
        except RunError as exc:
            _fail(f"{exc}\nresults so far: {run_dir}", code=1)
        except KeyboardInterrupt:
            _fail(
                f"interrupted; deployments torn down. Continue with: "
                f"lab run {scenario_file} --resume {run_dir}",
                code=130,
            )
    _print_summary(run_dir)
    paths = _figures(run_dir)
    report_md, report_html = _report(run_dir)
    console.print(f"wall time {time.perf_counter() - started:.1f} s; results in {run_dir}")
    console.print(f"figure: {paths[0]} (and {paths[1].name})")
    console.print(f"report: {report_html} (and {report_md.name})")


def _run_on_account(
    scenario,
    out: Path,
    calibration: Path | None,
    yes: bool,
    stand_in: bool,
    time_factor: float,
    poll: float,
    prompt: bool,
) -> None:
    """`lab run --target aws`: guardrails, confirmation, the wall-clock run, teardown always."""
    import contextlib

    from botocore.exceptions import BotoCoreError, ClientError

    from lab.emulator import EmulatorServer, Endpoints
    from lab.experiment.runner import RunError, new_run_id
    from lab.sim.calibration import DEFAULT_CALIBRATION
    from lab.targets.account_run import (
        EstimateUnavailable,
        cost_estimate,
        run_on_account,
        write_plan,
    )
    from lab.targets.guardrails import GuardrailError, allowed_account, load_config, region_of

    if scenario.is_sweep:
        _fail("sweeps run on the emulator only; give --target aws a scenario without sweep/repeat")
    scenario = scenario.model_copy(update={"target": "aws"})
    with contextlib.ExitStack() as stack:
        try:
            config = load_config()
            emulator = stack.enter_context(EmulatorServer()) if stand_in else None
            endpoints = (
                emulator.endpoints if emulator else Endpoints(url=None, region=region_of(config))
            )
            account = allowed_account(endpoints, config)
            estimate = cost_estimate(scenario, out, config.aws.max_run_s)
        except (GuardrailError, EstimateUnavailable) as exc:
            _fail(str(exc))
        except (BotoCoreError, ClientError) as exc:
            _fail(f"cannot reach the account: {exc}", code=1)
        console.print(
            write_plan(scenario, account, estimate, config.aws.max_run_s), highlight=False
        )
        if not yes and not typer.confirm("go ahead?"):
            _fail("declined: nothing was created", code=1)
        run_dir = out / scenario.name / new_run_id(scenario)
        with _progress_bar() as bar:
            task = bar.add_task("starting", total=None)
            try:
                run_on_account(
                    scenario,
                    run_dir,
                    endpoints,
                    Path(calibration or scenario.calibration or DEFAULT_CALIBRATION),
                    config.aws.max_run_s,
                    stand_in=emulator,
                    time_factor=time_factor if stand_in else 1.0,
                    poll_s=poll,
                    prompt=(
                        lambda text: typer.prompt(
                            f"{text}\npress Enter when done", default="", show_default=False
                        )
                    )
                    if prompt
                    else None,
                    progress=lambda d, n, t: bar.update(task, description=d, completed=n, total=t),
                )
            except RunError as exc:
                _fail(f"{exc}; torn down. Results so far: {run_dir}", code=1)
            except KeyboardInterrupt:
                _fail(
                    f"interrupted; torn down (check with: lab cleanup --run {run_dir.name} --dry-run)",
                    code=130,
                )
    _print_summary(run_dir)
    console.print(f"results in {run_dir}")


@app.command()
def demo(out: Path = typer.Option(RESULTS_DIR, help="Results root.")) -> None:
    """The demo: ec2-sg-open-ssh, 20 trials per architecture, on the embedded emulated account."""
    run(
        SCENARIOS_DIR / "demo.yaml",
        out=out,
        resume=None,
        calibration=None,
        jobs=None,
        operator=None,
        target=None,
        yes=False,
        stand_in=False,
        time_factor=1.0,
        poll=10.0,
        prompt=False,
    )


@app.command()
def report(
    run_dir: Path = typer.Argument(..., help="A run directory (results/<scenario>/<run-id>)."),
) -> None:
    """Print a run's summary; redraw its figure; write report.md and a self-contained report.html."""
    if not (run_dir / "trials.csv").exists() and not list(run_dir.glob("points/*/trials.csv")):
        _fail(f"{run_dir} has no trials.csv (nor a sweep point with one)")
    _print_summary(run_dir)
    paths = _figures(run_dir)
    console.print(f"figure: {paths[0]} (and {paths[1].name})")
    if (run_dir / "manifest.json").exists():
        report_md, report_html = _report(run_dir)
        console.print(f"report: {report_html} (and {report_md.name})")


@app.command()
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
    from lab.report.notebooks import NotebookFailed, execute
    from lab.report.notebooks import notebooks as chapter_notebooks
    from lab.report.run import RunNotFound, latest_run

    try:
        run_dir = run_dir or latest_run()
    except RunNotFound as exc:
        _fail(str(exc))
    if not (run_dir / "manifest.json").exists():
        _fail(f"{run_dir} is not a run directory (no manifest.json)")
    target = out or run_dir / "notebooks"
    with _progress_bar() as bar:
        found = chapter_notebooks()
        task = bar.add_task("notebooks", total=len(found))
        for notebook in found:
            bar.update(task, description=notebook.stem)
            try:
                execute(notebook, run_dir, target)
            except NotebookFailed as exc:
                _fail(str(exc), code=1)
            bar.advance(task)
    console.print(f"executed {len(found)} notebooks into {target}")


@app.command()
def load(
    profile: Annotated[
        str, typer.Option(help="Load profile of lab/load/profiles.yaml (light, busy, heavy).")
    ] = "light",
    users: Annotated[
        int | None, typer.Option(min=1, help="Locust users (overrides the profile).")
    ] = None,
    spawn_rate: Annotated[
        float | None,
        typer.Option(min=0.1, help="Users started per second (overrides the profile)."),
    ] = None,
    duration: Annotated[
        int | None, typer.Option(min=1, help="Seconds of load (overrides the profile).")
    ] = None,
    endpoint: Annotated[
        str | None,
        typer.Option(help="A running emulator's URL (default: start one here for the run)."),
    ] = None,
    techniques: Annotated[
        str, typer.Option(help="Comma-separated techniques the attacker users detonate and revert.")
    ] = "ec2-sg-open-ssh,s3-bucket-public-acl",
    out: Annotated[Path, typer.Option(help="Results root.")] = RESULTS_DIR,
) -> None:
    """Locust headless against the emulated account: benign users (inventory reads, object writes,
    log lines, metrics) and attackers detonating techniques; writes locust's CSVs and a summary
    into OUT/load/<run-id>/ and prints the request rate and p50 / p95 latency."""
    from datetime import UTC, datetime

    from lab.attacks.registry import techniques as catalog
    from lab.experiment.manifest import git_commit, versions, write_manifest
    from lab.load.runner import LoadError, profiles, run_load

    known = profiles()
    if profile not in known:
        _fail(f"unknown load profile {profile!r}; known: {', '.join(known)}")
    chosen = known[profile].model_copy(
        update={
            k: v
            for k, v in (("users", users), ("spawn_rate", spawn_rate), ("duration_s", duration))
            if v is not None
        }
    )
    names = [t.strip() for t in techniques.split(",") if t.strip()]
    unknown = [t for t in names if t not in catalog()]
    if unknown:
        _fail(f"unknown technique(s) {unknown}")
    run_dir = out / "load" / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    console.print(
        f"locust: {chosen.users} users, {chosen.spawn_rate}/s, {chosen.duration_s} s -> {run_dir}"
    )
    started = datetime.now(UTC).isoformat(timespec="seconds")
    try:
        if endpoint:
            result = run_load(endpoint, chosen, run_dir, names)
        else:
            from lab.emulator import EmulatorServer

            with EmulatorServer() as emulator:
                recorder = emulator.recorder
                result = run_load(emulator.url, chosen, run_dir, names, lambda: recorder.sequence)
    except LoadError as exc:
        _fail(str(exc), code=1)
    (run_dir / "summary.json").write_text(result.to_json())
    write_manifest(
        run_dir / "manifest.json",
        {
            "kind": "load",
            "run_id": run_dir.name,
            "scenario": {"name": "load", "description": f"profile {profile}"},
            "profile": chosen.model_dump(),
            "techniques": names,
            "target": endpoint or "emulated",
            "versions": versions(),
            "git": git_commit(),
            "status": "complete",
            "started_at": started,
        },
    )
    table = Table(title=f"load {run_dir.name} ({profile})")
    for column in ("requests", "failures", "req/s", "p50 ms", "p95 ms", "emulator req/s"):
        table.add_column(column, justify="right")
    table.add_row(
        f"{result.requests:,}",
        f"{result.failures:,}",
        f"{result.requests_per_s:,.1f}",
        f"{result.p50_ms:,.0f}",
        f"{result.p95_ms:,.0f}",
        "-" if result.emulator_requests_per_s is None else f"{result.emulator_requests_per_s:,.1f}",
    )
    console.print(table)
    console.print(f"locust statistics: {result.stats_csv}")


def _latest_run() -> Path:
    runs = sorted(RESULTS_DIR.glob("*/*/usage.json"), key=lambda p: p.stat().st_mtime)
    if not runs:
        _fail("no run with usage.json under results/ (run `make demo` first, or give RUN_DIR)")
    return runs[-1].parent


@app.command()
def cost(
    run_dir: Annotated[
        Path | None, typer.Argument(help="A run directory (default: the newest).")
    ] = None,
    profile: Annotated[
        str | None, typer.Option(help="One workload profile (default: all).")
    ] = None,
    region: Annotated[
        str, typer.Option(help="Price file lab/cost/prices/<region>.yaml.")
    ] = "us-east-1",
    rate: Annotated[
        float | None, typer.Option(help="Engineer cost, USD per hour (default: profiles.yaml).")
    ] = None,
    sweep: Annotated[
        bool, typer.Option("--sweep", help="Also draw cost vs scale with the break-even point.")
    ] = False,
) -> None:
    """Monthly cost of each architecture: infrastructure (usage scaled to a profile) + people."""
    from lab.cost.pricing import PricingError
    from lab.cost.report import cost_lines, summary
    from lab.cost.report import sweep as cost_sweep
    from lab.report.cost_figures import cost_breakdown, cost_vs_scale

    run_dir = run_dir or _latest_run()
    try:
        lines = cost_lines(run_dir, region, rate, [profile] if profile else None)
    except (FileNotFoundError, PricingError, KeyError) as exc:
        _fail(str(exc.args[0]) if isinstance(exc, KeyError) else str(exc))
    lines.to_csv(run_dir / "cost.csv", index=False)
    table = Table(title=f"monthly cost, USD ({region} list prices; {run_dir.name})")
    for column in ("profile", "architecture", "infrastructure", "people", "total"):
        table.add_column(
            column, justify="left" if column in ("profile", "architecture") else "right"
        )
    for row in summary(lines).to_dict("records"):
        table.add_row(
            row["profile"],
            row["architecture"],
            f"{row.get('infrastructure', 0):,.2f}",
            f"{row.get('people', 0):,.2f}",
            f"{row['total']:,.2f}",
        )
    console.print(table)
    figures = cost_breakdown(lines, run_dir / "figures" / "cost_breakdown")
    console.print(f"lines: {run_dir / 'cost.csv'}; figure: {figures[0]}")
    if sweep:
        frame, even = cost_sweep(run_dir, profile or "small-company", region, rate)
        frame.to_csv(run_dir / "cost_sweep.csv", index=False)
        paths = cost_vs_scale(frame, run_dir / "figures" / "cost_vs_scale", even)
        where = f"{even:,.0f} management events per day" if even else "none in the range swept"
        console.print(f"break-even: {where}; figure: {paths[0]}")


@app.command()
def runs(out: Annotated[Path, typer.Option(help="Results root.")] = RESULTS_DIR) -> None:
    """List the runs under the results root with their manifest summary."""
    table = Table(title=f"runs in {out}")
    for column in (
        "scenario",
        "run",
        "kind",
        "status",
        "target",
        "seed",
        "trials",
        "started",
        "commit",
    ):
        table.add_column(column, no_wrap=True)
    for manifest_path in sorted(out.glob("*/*/manifest.json")):
        manifest = json.loads(manifest_path.read_text())
        rows = sum(
            len(path.read_text().splitlines()) - 1
            for path in [
                manifest_path.parent / "trials.csv",
                *manifest_path.parent.glob("points/*/trials.csv"),
            ]
            if path.exists()
        )
        commit = (manifest.get("git") or {}).get("commit") or ""
        table.add_row(
            manifest.get("scenario", {}).get("name", "?"),
            manifest_path.parent.name,
            f"sweep of {len(manifest['points'])}" if manifest.get("kind") == "sweep" else "run",
            manifest.get("status", "?"),
            str(manifest.get("target")),
            str(manifest.get("seed")),
            str(max(rows, 0)),
            str(manifest.get("started_at")),
            commit[:10],
        )
    console.print(table)


ArchitectureArg = Annotated[str, typer.Argument(help="manual or serverless")]
EndpointOpt = Annotated[
    str,
    typer.Option(help="Emulator URL (from `lab emulator`); real AWS is not reachable from here."),
]
WorkdirOpt = Annotated[
    Path, typer.Option(help="Where deployment state (terraform state, ids) is kept.")
]
RegionOpt = Annotated[str, typer.Option(help="AWS region of the account.")]


techniques_app = typer.Typer(
    help="The attack technique catalog (one folder per technique under lab/attacks/techniques/).",
    invoke_without_command=True,
)
app.add_typer(techniques_app, name="techniques")


@techniques_app.callback()
def techniques_list(
    ctx: typer.Context,
    out: Annotated[Path, typer.Option(help="Results root read for the measured columns.")] = (
        RESULTS_DIR
    ),
) -> None:
    """List the techniques, with what each architecture did in the newest run that measured it."""
    if ctx.invoked_subcommand:
        return
    from lab.attacks.registry import techniques as catalog
    from lab.report.coverage import last_measured

    measured = last_measured(out) if out.is_dir() else {}
    table = Table(
        title="Attack techniques",
        caption=f"manual / serverless: outcome in the newest run under {out} (- : never run)",
    )
    for column in ("id", "tactic", "ATT&CK", "severity", "manual", "serverless"):
        table.add_column(column, no_wrap=True)
    for t in sorted(catalog().values(), key=lambda t: (t.metadata.mitre_attack.tactic, t.id)):
        m = t.metadata
        table.add_row(
            m.id,
            m.mitre_attack.tactic_name,
            m.mitre_attack.technique_id,
            m.severity,
            measured.get((m.id, "manual"), "-"),
            measured.get((m.id, "serverless"), "-"),
        )
    console.print(table)


@techniques_app.command("show")
def techniques_show(technique_id: Annotated[str, typer.Argument(help="Technique id.")]) -> None:
    """Print one technique's metadata (ATT&CK mapping, signals, detection, remediation)."""
    from lab.attacks.registry import technique

    try:
        console.print_json(technique(technique_id).metadata.model_dump_json())
    except KeyError as exc:
        _fail(str(exc.args[0]))


@app.command()
def attack(
    technique_id: Annotated[str, typer.Argument(help="Technique id (see `lab techniques`).")],
    endpoint: Annotated[
        str, typer.Option(help="URL of a running emulated account (from `lab emulator`).")
    ],
    target: Annotated[
        str, typer.Option(help="Only 'emulated' here; real AWS goes through `lab run`.")
    ] = "emulated",
    revert: Annotated[
        bool, typer.Option("--revert", help="Undo the attack and delete its prerequisites.")
    ] = False,
    state_dir: Annotated[
        Path, typer.Option(help="Where the prerequisites' ids are kept between the two calls.")
    ] = Path(".work/attacks"),
    region: RegionOpt = "us-east-1",
) -> None:
    """Detonate one technique by hand on a running emulator (teaching), or revert it."""
    from lab.attacks.registry import technique
    from lab.emulator import Endpoints

    if target != "emulated":
        _fail("`lab attack` only targets the emulated account (--target emulated)")
    try:
        chosen = technique(technique_id)
    except KeyError as exc:
        _fail(str(exc.args[0]))
        raise
    from botocore.exceptions import BotoCoreError, ClientError

    endpoints = Endpoints(url=endpoint, region=region)
    state = state_dir / f"{technique_id}.json"
    if revert and not state.exists():
        _fail(f"{technique_id} was not detonated from here (no {state})")
    try:
        if revert:
            prerequisites = json.loads(state.read_text())
            chosen.revert(endpoints, prerequisites)
            chosen.cleanup(endpoints, prerequisites)
            state.unlink()
            console.print(f"{technique_id}: reverted and cleaned up")
            return
        prerequisites = chosen.warm_up(endpoints)
    except (BotoCoreError, ClientError, OSError) as exc:
        _fail(f"{technique_id}: the account at {endpoint} answered: {exc}")
        raise
    try:
        chosen.detonate(endpoints, prerequisites)
    except (BotoCoreError, ClientError, OSError) as exc:
        # Nothing half-made is left behind: the prerequisites go again.
        chosen.revert(endpoints, prerequisites)
        chosen.cleanup(endpoints, prerequisites)
        _fail(f"{technique_id}: detonation failed, prerequisites removed: {exc}")
    state.parent.mkdir(parents=True, exist_ok=True)
    state.write_text(json.dumps(prerequisites, indent=2))
    m = chosen.metadata
    console.print(
        f"[bold]{m.id}[/] detonated ({m.mitre_attack.technique_id}, {m.mitre_attack.tactic_name})"
    )
    console.print(f"signals: {'; '.join(m.signals)}", highlight=False)
    console.print(f"detection: {m.detection}", highlight=False)
    console.print(f"undo with: lab attack {m.id} --endpoint {endpoint} --revert", highlight=False)


@app.command()
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

    from lab.architectures.effort import measure

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
    headers = {
        "architecture": "arch",
        "manual_steps": "steps",
        "declared": "declared",
        "config_files": "files",
        "config_lines": "lines",
        "runbook_lines": "runbook lines",
        "api_calls": "API calls",
        "writes": "writes",
        "deploy_emulator_s": "deploy s (emulator)",
        "deploy_aws_modelled_s": "deploy s (AWS model)",
    }
    for column in frame.columns:
        table.add_column(headers.get(column, column), no_wrap=True)
    for record in frame.to_dict("records"):
        table.add_row(*(str(v) for v in record.values()))
    console.print(table)
    if out:
        out.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(out, index=False)
        console.print(f"written: {out}")


@app.command()
def emulator(
    port: int = typer.Option(0, help="Port on 127.0.0.1 (0 = a free one)."),
    actor: str = typer.Option("harness", help="Whose credentials the export lines carry."),
    trail: bool = typer.Option(False, help="Print each recorded call as a CloudTrail record."),
) -> None:
    """Run the emulated account in the foreground and print the exports to point clients at it."""
    from lab.emulator import EmulatorServer

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with EmulatorServer(port=port) as server:
        console.print("# emulated AWS account is up; paste these lines into a shell:")
        console.print(server.endpoints.export_lines(actor), highlight=False)
        console.print("# Ctrl-C to stop", highlight=False)
        try:
            while not stop.is_set():
                stop.wait(0.5)
                if trail:
                    for record in server.recorder.drain():
                        console.print(json.dumps({k: v for k, v in record.items() if k != "lab"}))
        except KeyboardInterrupt:
            pass


@app.command()
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
        _fail(str(exc))
    except (BotoCoreError, ClientError) as exc:
        _fail(f"cannot read the account: {exc}", code=1)
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
        _fail("declined: nothing deleted", code=1)
    report = run_cleanup(endpoints, run)
    console.print(f"deleted {len(report.deleted)} of {len(report.found)} ({scope})")
    for arn, reason in report.failed.items():
        err.print(f"[red]not deleted[/] {arn}: {reason}")
    if report.failed:
        raise typer.Exit(1)


@app.command()
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
    alert scales the stages on its alert path (lab/targets/alert_paths.yaml). Writes a calibration
    file for `lab run --calibration FILE` and a figure of both distributions beside it."""
    import pandas as pd

    from lab.report.figures import measured_vs_simulated
    from lab.report.summary import load_trials
    from lab.sim.calibration import Calibration, CalibrationError
    from lab.targets.calibrate import CalibrateError, write_calibration
    from lab.targets.calibrate import calibrate as fit

    for run_dir in [*measured, *against]:
        if not (run_dir / "manifest.json").exists():
            _fail(f"{run_dir} is not a run directory (no manifest.json)")
    try:
        base = Calibration.load(calibration) if calibration else Calibration.load()
        new, table = fit(measured, against, base)
    except (CalibrateError, CalibrationError) as exc:
        _fail(str(exc))
    path = write_calibration(new, out)
    console.print(table.round(3).to_string(index=False))
    both = pd.concat(
        [
            *(load_trials(d).assign(source="measured") for d in measured),
            *(load_trials(d).assign(source="simulated") for d in against),
        ],
        ignore_index=True,
    )
    figure = measured_vs_simulated(both, path.with_suffix(""))[0]
    console.print(f"calibration: {path} (lab run SCENARIO --calibration {path}); figure: {figure}")


def _architecture_and_endpoints(name: str, endpoint: str, region: str):
    """The named architecture and the emulator's endpoint settings, or a clear error."""
    from lab.architectures.registry import build
    from lab.emulator import Endpoints

    try:
        return build(name, "manual"), Endpoints(url=endpoint, region=region)
    except KeyError as exc:
        _fail(str(exc.args[0]))
        raise  # unreachable: _fail exits


@app.command()
def deploy(
    architecture: ArchitectureArg,
    endpoint: EndpointOpt,
    workdir: WorkdirOpt = Path(".work"),
    region: RegionOpt = "us-east-1",
) -> None:
    """Deploy one architecture into a running emulated account."""
    arch, endpoints = _architecture_and_endpoints(architecture, endpoint, region)
    console.print_json(json.dumps(arch.deploy(endpoints, workdir / architecture)))


@app.command()
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


if __name__ == "__main__":
    app()
