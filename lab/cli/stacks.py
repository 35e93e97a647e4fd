"""``lab stack add``, ``lab stack list``, ``lab stack report``: a team's own stack registered as an
architecture, checked against the contract before anything is deployed, and its results beside the
built-in arms."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from lab.cli.output import console, err, fail

stack_app = typer.Typer(
    help="Your own stack as an architecture: register it (checked against the contract), list, "
    "report it against the catalog and the built-in arms.",
    no_args_is_help=True,
)


def _terraform_validate(module: Path) -> list[str]:
    """``terraform validate`` of the module in a scratch copy (init without a backend)."""
    from lab.architectures.terraform_runner import REATTACH_ENV, Terraform, TerraformError

    with tempfile.TemporaryDirectory(prefix="lab-stack-") as scratch:
        tf = Terraform(module, Path(scratch), {}, {REATTACH_ENV: "0"})
        tf.prepare()
        try:
            tf.init()
        except TerraformError as exc:
            return [f"terraform init: {str(exc).splitlines()[-1]}"]
        return tf.validate()


@stack_app.command()
def add(
    name: Annotated[str, typer.Argument(help="The stack's name, as scenarios will name it.")],
    terraform: Annotated[
        Path | None, typer.Option(help="Folder of the stack's Terraform root module.")
    ] = None,
    script: Annotated[
        Path | None, typer.Option(help="Deploy script of a stack built with the CLI.")
    ] = None,
    teardown: Annotated[Path | None, typer.Option(help="Teardown script (with --script).")] = None,
    description: Annotated[str, typer.Option(help="One line on what the stack is.")] = "",
    into: Annotated[
        Path, typer.Option(help="Where stack files live (read by lab run from this folder).")
    ] = Path("stacks"),
    validate: Annotated[
        bool, typer.Option(help="Also run terraform validate on the module (offline).")
    ] = True,
) -> None:
    """Register a stack: check it against the contract (variables, alerts, teardown, tags; one
    error per broken term; nothing deployed, nothing written when it fails), then write
    INTO/NAME.yaml. A scenario's `architectures:` then names it like manual and serverless."""
    from pydantic import ValidationError

    from lab.architectures.stacks import StackFile, contract_problems, write_stack

    try:
        spec = StackFile(
            name=name,
            description=description,
            terraform=terraform.resolve() if terraform else None,
            deploy=script.resolve() if script else None,
            teardown=teardown.resolve() if teardown else None,
        )
    except ValidationError as exc:
        fail(
            "; ".join(
                ".".join(str(p) for p in e["loc"])
                + (": " if e["loc"] else "")
                + e["msg"].removeprefix("Value error, ")
                for e in exc.errors()
            )
        )
    problems = contract_problems(spec)
    if not problems and validate and spec.terraform is not None:
        problems = [f"terraform validate: {p}" for p in _terraform_validate(spec.terraform)]
    if problems:
        for problem in problems:
            err.print(f"[bold red]error:[/] stack {name}: {escape(problem)}", highlight=False)
        raise typer.Exit(2)
    path = write_stack(spec, into)
    console.print(
        f"registered {name} ({spec.kind}): {path}\nname it in a scenario's architectures: "
        f"and run `lab run SCENARIO`; then `lab stack report {name} RUN_DIR`",
        highlight=False,
        soft_wrap=True,
    )


@stack_app.command("list")
def list_() -> None:
    """The registered stacks (./stacks, then the repository's) and whether each meets the contract."""
    from lab.architectures.stacks import StackError, contract_problems, load_stack, registered

    for name, path in registered().items():
        try:
            problems = contract_problems(load_stack(path))
        except StackError as exc:
            problems = [str(exc)]
        state = "ok" if not problems else f"broken: {problems[0]}"
        console.print(f"{name}\t{path}\t{state}", highlight=False, soft_wrap=True)


@stack_app.command()
def report(
    name: Annotated[str, typer.Argument(help="The registered stack.")],
    run_dir: Annotated[Path, typer.Argument(help="A run whose scenario has an arm of the stack.")],
) -> None:
    """Print the stack's ATT&CK coverage and latencies against the catalog and the run's built-in
    arms as Markdown (each cell: the outcome most trials had, detected/trials, Kaplan-Meier median
    TTD; "not run": the run did not detonate it)."""
    from lab.report.stack_report import StackReportError, stack_tables

    try:
        coverage, totals = stack_tables(run_dir, name)
    except StackReportError as exc:
        fail(str(exc))
    for frame, title in (
        (coverage, f"{name}: ATT&CK coverage on the catalog ({run_dir.name})"),
        (totals, f"{name} and the built-in arms: techniques detected and how fast"),
    ):
        shown = frame.map(lambda v: (f"{v:,.0f}" if v == v else "-") if isinstance(v, float) else v)
        typer.echo(f"\n## {title}\n\n{shown.to_markdown(index=False)}")


@stack_app.command()
def schema() -> None:
    """Print the stack file's format (stacks/NAME.yaml) as JSON Schema (draft 2020-12)."""
    import json

    from lab.architectures.stacks import StackFile

    document = StackFile.model_json_schema()
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    typer.echo(json.dumps(document, indent=2, sort_keys=True))
