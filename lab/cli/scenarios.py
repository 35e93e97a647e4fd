"""``lab scenario validate`` and ``lab scenario schema``: the scenario format, checked and described
before anything runs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from lab.cli.output import console, fail

scenario_app = typer.Typer(
    help="The scenario format: check files before a run, print its JSON Schema for editors.",
    no_args_is_help=True,
)


@scenario_app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="Scenario YAML files (see scenarios/).")],
    calibration: Annotated[
        Path | None, typer.Option(help="Calibration YAML (default: the scenario's, or the lab's).")
    ] = None,
) -> None:
    """Check scenario files as `lab run` does before it deploys anything: every field, every
    architecture option (cron expressions, Terraform variables' types and allowed values), the
    techniques, the person's profile, each sweep point. One line per file; exit 2 at the first bad one."""
    from lab.experiment.campaign import prepare
    from lab.experiment.scenario import ScenarioError

    for path in files:
        try:
            campaign = prepare(path, calibration)
        except ScenarioError as exc:
            fail(str(exc))
        scenario = campaign.scenario
        points = max(1, len(campaign.points))
        trials = len(scenario.techniques) * len(scenario.architectures) * scenario.trials * points
        console.print(
            f"ok {path}: {len(scenario.techniques)} technique(s) x {len(scenario.architectures)} "
            f"arm(s) x {scenario.trials} trial(s)"
            + (f" x {points} point(s)" if points > 1 else "")
            + f" = {trials} trials",
            highlight=False,
            soft_wrap=True,  # one line per file, however long its path
        )


@scenario_app.command()
def schema() -> None:
    """Print the scenario format as JSON Schema (draft 2020-12), from the model `lab run` reads
    (for an editor's completion and checks: yaml-language-server's `$schema`)."""
    from lab.experiment.scenario import Scenario

    document = Scenario.model_json_schema()
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    typer.echo(json.dumps(document, indent=2, sort_keys=True))
