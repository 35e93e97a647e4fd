"""``lab load`` as a run of the results folder: locust against an emulated account (one started
here, or a running one), its statistics and a manifest under ``results/load/<run-id>/``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from lab.attacks.registry import techniques as catalog
from lab.emulator.server import EmulatorServer
from lab.experiment.manifest import git_commit, versions, write_manifest
from lab.experiment.results import MANIFEST, now_iso
from lab.load.runner import LoadError, LoadProfile, LoadResult, profiles, run_load


@dataclass
class LoadPlan:
    profile_name: str
    profile: LoadProfile
    techniques: list[str]
    run_dir: Path


def plan_load(
    profile: str,
    overrides: dict[str, float | int | None],
    techniques: str,
    results_dir: Path,
) -> LoadPlan:
    """The load run asked for (profile with its overrides, attacker techniques); ``LoadError``
    naming what is unknown, before anything is written."""
    known = profiles()
    if profile not in known:
        raise LoadError(f"unknown load profile {profile!r}; known: {', '.join(known)}")
    chosen = known[profile].model_copy(update={k: v for k, v in overrides.items() if v is not None})
    names = [t.strip() for t in techniques.split(",") if t.strip()]
    unknown = [t for t in names if t not in catalog()]
    if unknown:
        raise LoadError(f"unknown technique(s) {unknown}")
    run_dir = Path(results_dir) / "load" / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return LoadPlan(profile, chosen, names, run_dir)


def run_load_plan(plan: LoadPlan, endpoint: str | None = None) -> LoadResult:
    """Run locust for ``plan`` (against ``endpoint``, else an emulator started for it); write
    ``summary.json`` and the manifest."""
    started = now_iso()
    if endpoint:
        result = run_load(endpoint, plan.profile, plan.run_dir, plan.techniques)
    else:
        with EmulatorServer() as emulator:
            recorder = emulator.recorder
            result = run_load(
                emulator.url, plan.profile, plan.run_dir, plan.techniques, lambda: recorder.sequence
            )
    (plan.run_dir / "summary.json").write_text(result.to_json())
    write_manifest(
        plan.run_dir / MANIFEST,
        {
            "kind": "load",
            "run_id": plan.run_dir.name,
            "scenario": {"name": "load", "description": f"profile {plan.profile_name}"},
            "profile": plan.profile.model_dump(),
            "techniques": plan.techniques,
            "target": endpoint or "emulated",
            "versions": versions(),
            "git": git_commit(),
            "status": "complete",
            "started_at": started,
        },
    )
    return result
