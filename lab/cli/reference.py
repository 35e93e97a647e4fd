"""``lab reference``: the runs every number in README.md and docs/ comes from, and the blocks
written from them (``docs/reference-runs.yaml``; ``make docs-results`` runs both steps)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lab.cli.output import console, fail, progress_bar, warn_unlocked
from lab.paths import REPO_ROOT, RESULTS_DIR

reference_app = typer.Typer(
    help="Reference runs and the numbers README.md and docs/ quote from them.",
    no_args_is_help=True,
)


@reference_app.command("run")
def run_references(
    names: Annotated[
        list[str] | None, typer.Argument(help="Reference runs to make (default: every one).")
    ] = None,
    out: Annotated[Path, typer.Option(help="Results root for the runs.")] = REPO_ROOT / RESULTS_DIR,
) -> None:
    """Run each reference scenario on the emulated account and keep its manifest and trials under
    docs/reference-runs/<name>/ (what `lab reference write` reads)."""
    from lab.experiment.campaign import prepare, run_campaign
    from lab.experiment.results import new_run_dir
    from lab.experiment.scenario import ScenarioError
    from lab.report.reference import keep, load
    from lab.targets.emulated import EmulatedTarget

    references = load(REPO_ROOT)
    chosen = names or list(references.runs)
    unknown = sorted(set(chosen) - set(references.runs))
    if unknown:
        fail(f"no reference run {unknown}; known: {sorted(references.runs)}")
    try:  # every scenario checked before anything runs
        campaigns = {n: prepare(REPO_ROOT / references.runs[n].scenario) for n in chosen}
    except ScenarioError as exc:
        fail(str(exc))
    warn_unlocked()
    for name, campaign in campaigns.items():
        run_dir = new_run_dir(out, campaign.scenario)
        with progress_bar() as bar:
            task = bar.add_task(name, total=None)
            run_campaign(
                campaign,
                run_dir,
                EmulatedTarget(),
                lambda d, n, t, task=task: bar.update(task, description=d, completed=n, total=t),
            )
        console.print(f"{name}: {run_dir} -> {keep(REPO_ROOT, name, run_dir)}")


def _blocks(action: str) -> list[str]:
    """``lab.report.reference.<action>`` on this checkout; a missing block or run is one error."""
    from lab.report import reference

    try:
        return getattr(reference, action)(REPO_ROOT)
    except (reference.ReferenceError, FileNotFoundError) as exc:
        fail(str(exc))


@reference_app.command()
def write() -> None:
    """Write every generated block of README.md and docs/ from its reference run."""
    changed = _blocks("write")
    console.print("\n".join(changed) if changed else "every block already matches its run")


@reference_app.command()
def check() -> None:
    """Exit 1 if a generated block of README.md or docs/ differs from what its run gives."""
    drift = _blocks("check")
    if drift:
        fail("\n".join(drift) + "\n(`make docs-results` writes them from their runs)", code=1)
    console.print("every block matches its reference run")
