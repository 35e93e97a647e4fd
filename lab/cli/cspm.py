"""``lab cspm``: each architecture's own security posture, scanned by Prowler."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lab.cli.output import console, fail
from lab.paths import RESULTS_DIR


def cspm(
    architecture: Annotated[
        list[str] | None,
        typer.Option("--architecture", "-a", help="manual, serverless (repeat; default: both)."),
    ] = None,
    service: Annotated[
        list[str] | None,
        typer.Option(
            "--service",
            help="A Prowler service to scan (repeat; default: lab/cspm/scope.yaml, the services "
            "the architectures deploy or watch).",
        ),
    ] = None,
    check: Annotated[
        list[str] | None,
        typer.Option("--check", help="Only this Prowler check (repeat); overrides --service."),
    ] = None,
    all_services: Annotated[
        bool, typer.Option("--all-services", help="Every Prowler AWS check (about a minute).")
    ] = False,
    out: Annotated[Path, typer.Option(help="Where the results go.")] = RESULTS_DIR / "cspm",
) -> None:
    """Posture of each architecture: deploy it into a fresh emulated account, scan the account
    with Prowler (the open-source CSPM, in its own venv: `make prowler`), and report what its own
    resources fail and what it fixes, against the same scan of the empty account.

    Writes posture.csv (per check and resource, with severity, CIS and FSBP controls),
    findings.csv (every result of every scan), summary.json, figures/cspm_posture.png and a
    manifest with Prowler's version."""
    from rich.table import Table

    from lab.architectures.registry import ARCHITECTURES
    from lab.cspm.posture import default_services, run_posture, summary
    from lab.prowler.findings import SEVERITIES
    from lab.prowler.tool import ProwlerError
    from lab.report.posture_figures import posture as posture_figure

    names = architecture or list(ARCHITECTURES)
    unknown = sorted(set(names) - set(ARCHITECTURES))
    if unknown:
        fail(f"unknown architecture {', '.join(unknown)} (known: {', '.join(ARCHITECTURES)})")
    services = None if all_services or check else (service or default_services())
    try:
        run_dir, postures = run_posture(
            list(dict.fromkeys(names)),
            out,
            services=services,
            checks=check,
            say=lambda text: console.print(f"[dim]{text}[/]"),
        )
    except ValueError as exc:  # a service or check this Prowler does not have
        fail(str(exc))
    except ProwlerError as exc:
        fail(str(exc), code=2 if "not installed" in str(exc) else 1)
    table = summary(postures)
    drawn = [s for s in SEVERITIES if s != "Informational"]
    if len(table):  # the cspm application writes the tables, the report draws them
        posture_figure(table, run_dir / "figures" / "cspm_posture", drawn)
    shown = Table(title="Posture against the empty account (Prowler; checks x resources)")
    columns = ["architecture", *drawn]
    counts = ["fails", "fixed", "artefacts", "muted"]
    for name in [*columns, *counts]:
        shown.add_column(name, justify="left" if name == "architecture" else "right")
    for row in table.to_dict(orient="records"):
        shown.add_row(*[str(row[c]) for c in [*columns, *counts]])
    console.print(shown)
    for posture in postures:
        for finding in posture.fails[:15]:
            console.print(
                f"  {posture.architecture:<10} {finding.severity:<8} {finding.check} "
                f"[dim]{finding.resource.rsplit(':', 1)[-1]}[/]",
                highlight=False,
            )
        if len(posture.fails) > 15:
            console.print(f"  {posture.architecture:<10} ... {len(posture.fails) - 15} more")
    console.print(f"results in {run_dir} (posture.csv, figures/cspm_posture.png)")
