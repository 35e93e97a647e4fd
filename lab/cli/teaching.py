"""Teaching: ``lab live`` (the architectures deployed in emulated accounts that respond to attacks
as they happen, with the console) and ``lab console`` (a finished run replayed in the browser)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from lab.cli.output import console, fail

PortOpt = Annotated[int, typer.Option(help="The console's port on 127.0.0.1.")]


def live(
    architecture: Annotated[
        str, typer.Option("--architecture", "-a", help="manual, serverless or both.")
    ] = "both",
    speed: Annotated[
        float,
        typer.Option(
            help="Simulated seconds per wall second: 60 turns a 5-minute delivery into 5 s "
            "and a 30-minute response into 30 s (1 = real time)."
        ),
    ] = 60.0,
    exercise: Annotated[
        bool,
        typer.Option(
            "--exercise",
            help="You are the manual architecture's on-call person: its alerts wait for you to "
            "investigate and fix with the aws CLI; the scoreboard puts your time beside the "
            "automation's on the same attack.",
        ),
    ] = False,
    port: PortOpt = 8700,
    operator: Annotated[
        str, typer.Option(help="Staffing profile of the simulated on-call person.")
    ] = "on-call",
    workdir: Annotated[Path, typer.Option(help="Deployment state and the scoreboard.")] = Path(
        ".work/live"
    ),
    minutes: Annotated[
        float, typer.Option(help="Stop after this many wall minutes (0 = until Ctrl-C).")
    ] = 0.0,
) -> None:
    """A live lab for a class: each architecture in its own emulated account, AWS's services played
    at --speed, the console on http://127.0.0.1:PORT. Attack from the console, with
    `lab attack TECHNIQUE --endpoint URL` or with the aws CLI (the export lines printed here)."""
    import threading

    from lab.console.app import create_app, serve
    from lab.live.session import ARCHITECTURES, LiveError, LiveSession
    from lab.sim.calibration import Calibration

    arms = list(ARCHITECTURES) if architecture == "both" else [architecture]
    try:
        Calibration.load().operator(operator)
    except KeyError as exc:
        fail(str(exc.args[0]))
    _port_free(port)

    def tell(event: dict) -> None:
        if event["kind"] == "sns.delivered":
            console.print(f"[bold]{event['architecture']}[/] e-mail: {event.get('subject')}")
        elif event["kind"] == "technique.remediated":
            console.print(
                f"[bold]{event['architecture']}[/] {event.get('technique')} fixed "
                f"{event.get('after_s', 0):.0f} s (simulated) after the attack, by {event['source']}"
            )

    try:
        live_lab = LiveSession(
            arms, speed, workdir, student=exercise, operator=operator, on_event=tell
        )
    except LiveError as exc:
        fail(str(exc))
    with live_lab:
        console.print(f"deploying {', '.join(arms)} (each in its own emulated account)...")
        try:
            live_lab.start(progress=lambda line: console.print(line, highlight=False))
        except LiveError as exc:
            fail(str(exc), code=1)
        for arm, account in live_lab.accounts.items():
            console.print(f"# {arm} account: attacker's terminal", highlight=False)
            console.print(account["exports"]["attacker"], highlight=False)
        console.print(f"console: http://127.0.0.1:{port}/   (Ctrl-C to stop)", highlight=False)
        app = create_app(live=live_lab)
        if minutes:

            def stop_later(server: object) -> None:
                def stop() -> None:
                    time.sleep(minutes * 60)
                    server.should_exit = True  # type: ignore[attr-defined]

                threading.Thread(target=stop, daemon=True).start()

            serve(app, port, ready=stop_later)
        else:
            serve(app, port)


def console_(
    run_dir: Annotated[Path, typer.Argument(help="A run folder (results/<scenario>/<run-id>).")],
    port: PortOpt = 8700,
) -> None:
    """Replay a finished run in the browser: the diagrams lit event by event, play / pause / speed,
    a trial picker, the inbox, findings, alarms and every event's raw JSON."""
    from lab.console.app import create_app, serve
    from lab.console.replay import NotReplayable, ReplayRun

    try:
        replay = ReplayRun.load(run_dir)
    except NotReplayable as exc:
        fail(str(exc))
    _port_free(port)
    console.print(f"console: http://127.0.0.1:{port}/   (Ctrl-C to stop)", highlight=False)
    serve(create_app(replay=replay), port)


def _port_free(port: int) -> None:
    """Refuse a busy port before anything is deployed (a class waits for the deployment)."""
    import socket

    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            fail(f"port {port} on 127.0.0.1 is in use: choose another with --port")
