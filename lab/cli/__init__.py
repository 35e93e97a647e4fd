"""The ``lab`` command: run experiments on an emulated AWS account and compare the architectures.

One module per command group; each command parses its options and calls package code. Commands
are registered here, explicitly, in the order ``lab --help`` lists them."""

from __future__ import annotations

import typer

from lab.cli import (
    accounts,
    assumptions,
    catalog,
    costs,
    cspm,
    experiments,
    reference,
    scenarios,
    stacks,
    teaching,
)

app = typer.Typer(
    help="Lab and benchmark harness: manual (server-based) vs serverless AWS security monitoring, "
    "on the same attacks, in an emulated AWS account (offline) with virtual time.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

for command in (
    experiments.demo,
    experiments.run,
    experiments.replay,
    experiments.report,
    assumptions.assumptions,
    experiments.runs,
    experiments.notebooks,
    costs.cost,
    costs.load,
    cspm.cspm,
    catalog.attack,
    teaching.live,
    accounts.emulator,
    accounts.deploy,
    accounts.destroy,
    accounts.effort,
    accounts.cleanup,
    experiments.calibrate,
):
    app.command()(command)
app.command("console")(teaching.console_)
app.add_typer(catalog.techniques_app, name="techniques")
app.add_typer(scenarios.scenario_app, name="scenario")
app.add_typer(reference.reference_app, name="reference")
app.add_typer(stacks.stack_app, name="stack")

__all__ = ["app"]
