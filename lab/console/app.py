"""The security team's console (the seed's node S), a small Starlette app: the architecture diagrams
lit by the events, the timeline, the SNS inbox, findings, alarms, raw JSON; a finished run replayed
(``lab console RUN_DIR``) or a live lab followed as it happens (``lab live``), with a Logs Insights
box, the attack buttons and, in exercise mode, the scoreboard. Plain HTML, CSS and JavaScript
served from the package (``static/``): no build step, no CDN, works offline."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from lab.console.diagrams import annotate, diagram
from lab.console.replay import ReplayRun

STATIC = Path(__file__).with_name("static")
STREAM_POLL_S = 0.2


def _json(data: Any, status: int = 200) -> Response:
    return Response(
        json.dumps(data, default=str), status_code=status, media_type="application/json"
    )


def create_app(replay: ReplayRun | None = None, live: Any = None) -> Starlette:
    """The console over a finished run (``replay``) or a ``lab.live.LiveSession`` (``live``)."""
    if (replay is None) == (live is None):
        raise ValueError("the console shows either a finished run or a live lab")

    async def index(_: Request) -> Response:
        return FileResponse(STATIC / "index.html")

    async def info(_: Request) -> Response:
        return _json(_replay_info(replay) if replay is not None else _live_info(live))

    async def no_icon(_: Request) -> Response:
        return Response(status_code=204)

    routes = [
        Route("/", index),
        Route("/favicon.ico", no_icon),
        Route("/api/info", info),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    routes += _replay_routes(replay) if replay is not None else _live_routes(live)
    return Starlette(routes=routes)


def _described(mode: str, arms: dict[str, str], extra: dict[str, Any]) -> dict[str, Any]:
    """What the page needs first: the mode, the arms and their diagrams, the mode's own fields."""
    return {
        "mode": mode,
        "arms": arms,
        "diagrams": {arm: diagram(base) for arm, base in arms.items()},
        **extra,
    }


def _replay_info(replay: ReplayRun) -> dict[str, Any]:
    return _described(
        "replay",
        replay.arms(),
        {"run": replay.run_dir.name, "scenario": replay.manifest.get("scenario", {}).get("name")},
    )


def _live_info(live: Any) -> dict[str, Any]:
    from lab.attacks.registry import techniques

    arms = {arm: account["architecture"] for arm, account in live.accounts.items()}
    return _described(
        "live",
        arms,
        {
            "speed": live.speed,
            "student": live.student,
            "accounts": live.accounts,
            "techniques": [
                {
                    "id": t.metadata.id,
                    "title": t.metadata.title,
                    "tactic": t.metadata.mitre_attack.tactic_name,
                }
                for t in techniques().values()
            ],
        },
    )


def _replay_routes(replay: ReplayRun) -> list[Route]:
    """A finished run: its trials, and one trial's timeline."""

    async def trials(_: Request) -> Response:
        return _json(replay.trial_list())

    async def timeline(request: Request) -> Response:
        try:
            events = replay.timeline(
                request.query_params["technique"],
                int(request.query_params["trial"]),
                noise=request.query_params.get("noise") == "1",
            )
        except (KeyError, ValueError) as exc:
            return _json({"error": str(exc)}, 404)
        return _json(events)

    return [Route("/api/trials", trials), Route("/api/timeline", timeline)]


def _live_routes(live: Any) -> list[Route]:
    """A live lab: its events as they happen, the attack buttons, Logs Insights, the scoreboard."""

    async def stream(request: Request) -> StreamingResponse:
        """Server-sent events: every live event from ``since`` on, as it happens."""
        seq = int(request.query_params.get("since", 0))

        async def events() -> Any:
            nonlocal seq
            while not await request.is_disconnected():
                for event in live.events_since(seq):
                    seq = event["seq"] + 1
                    yield f"data: {json.dumps(annotate(event), default=str)}\n\n"
                if live.error:
                    yield f"event: failure\ndata: {json.dumps(live.error)}\n\n"
                    return
                await asyncio.sleep(STREAM_POLL_S)

        return StreamingResponse(events(), media_type="text/event-stream")

    async def detonate(request: Request) -> Response:
        body = await request.json()
        try:
            live.detonate(body["technique"])
        except KeyError as exc:
            return _json({"error": str(exc)}, 400)
        if body.get("player"):
            live.player(body["technique"], str(body["player"])[:40])
        return _json({"detonated": body["technique"]})

    async def revert(request: Request) -> Response:
        body = await request.json()
        live.revert(body["technique"])
        return _json({"reverted": body["technique"]})

    async def insights(request: Request) -> Response:
        body = await request.json()
        answer = await asyncio.to_thread(
            live.insights, body["arm"], body["query"], body["log_group"]
        )
        return _json(answer, 400 if "error" in answer else 200)

    async def scoreboard(_: Request) -> Response:
        return _json(live.scoreboard)

    return [
        Route("/api/stream", stream),
        Route("/api/detonate", detonate, methods=["POST"]),
        Route("/api/revert", revert, methods=["POST"]),
        Route("/api/insights", insights, methods=["POST"]),
        Route("/api/scoreboard", scoreboard),
    ]


def serve(app: Starlette, port: int, ready: Any = None) -> None:
    """Serve ``app`` on 127.0.0.1:``port`` until Ctrl-C (uvicorn, quiet)."""
    import uvicorn

    # A browser's event stream never ends by itself: give open streams a moment, then close.
    config = uvicorn.Config(
        app, host="127.0.0.1", port=port, log_level="warning", timeout_graceful_shutdown=2
    )
    server = uvicorn.Server(config)
    if ready is not None:
        ready(server)
    server.run()
