"""The technique catalog: ``lab techniques`` (list, show) and ``lab attack`` (one technique by hand
on a running emulator, through the lab's one lifecycle runner)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer

from lab.cli.output import console, fail
from lab.paths import RESULTS_DIR

techniques_app = typer.Typer(
    help="The attack technique catalog (one folder per technique under lab/attacks/techniques/).",
    invoke_without_command=True,
)


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
    from rich.table import Table

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
        fail(str(exc.args[0]))


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
        Path, typer.Option(help="Where the technique's lifecycle state is kept between calls.")
    ] = Path(".work/attacks"),
    region: Annotated[str, typer.Option(help="AWS region of the account.")] = "us-east-1",
) -> None:
    """Detonate one technique by hand on a running emulator (teaching), or revert it."""
    from botocore.exceptions import BotoCoreError, ClientError

    from lab.attacks.lifecycle import Stage, TechniqueRun
    from lab.attacks.registry import technique
    from lab.emulator import Endpoints

    if target != "emulated":
        fail("`lab attack` only targets the emulated account (--target emulated)")
    if urlsplit(endpoint).scheme not in ("http", "https") or not urlsplit(endpoint).netloc:
        fail(
            f"--endpoint {endpoint!r} is not a URL; give the one `lab emulator` prints, e.g. "
            "http://127.0.0.1:5000"
        )
    try:
        chosen = technique(technique_id)
    except KeyError as exc:
        fail(str(exc.args[0]))
    life = TechniqueRun.resume(chosen, Endpoints(url=endpoint, region=region), state_dir)
    if revert and life.stage is Stage.COLD:
        fail(f"{technique_id} was not detonated from here (no {life.state_file})")
    try:
        if revert:
            life.cleanup()
            console.print(f"{technique_id}: reverted and cleaned up")
            return
        life.warm_up()
    except (BotoCoreError, ClientError, OSError) as exc:
        fail(f"{technique_id}: the account at {endpoint} answered: {exc}")
    try:
        life.detonate()
    except (BotoCoreError, ClientError, OSError) as exc:
        life.cleanup()  # nothing half-made is left behind: the prerequisites go again
        fail(f"{technique_id}: detonation failed, prerequisites removed: {exc}")
    m = chosen.metadata
    mapped = (
        f"{m.mitre_attack.technique_id}, {m.mitre_attack.tactic_name}"
        if m.mitre_attack
        else "a benign action: legitimate work"
    )
    console.print(f"[bold]{m.id}[/] {'detonated' if m.mitre_attack else 'made'} ({mapped})")
    console.print(f"signals: {'; '.join(m.signals)}", highlight=False)
    console.print(
        f"shared detections (both architectures): {', '.join(m.shared_detections) or 'none'}",
        highlight=False,
    )
    console.print(f"detection: {m.detection}", highlight=False)
    console.print(f"undo with: lab attack {m.id} --endpoint {endpoint} --revert", highlight=False)
