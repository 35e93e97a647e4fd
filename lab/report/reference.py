"""Numbers in README.md and docs/ written from named reference runs, never by hand.

``docs/reference-runs.yaml`` names each reference run (a scenario) and each generated block (a
page, a block name, the run it comes from, the table it shows). A block sits in its page between
``<!-- generated: NAME ... -->`` and ``<!-- /generated: NAME -->``; ``write`` renders every block from
the run's kept files (``docs/reference-runs/<run>/manifest.json`` and ``trials.csv``) and ``check``
lists the blocks whose page differs from that, so a figure cannot drift from its run.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, model_validator

from lab.attacks.registry import benign_actions
from lab.experiment.results import (
    SWEEP_COLUMN_PREFIX,
    USAGE,
    RunNotFound,
    load_run,
    load_trials,
    per_point,
    short_name,
    sweep_columns,
)
from lab.report import assumptions_blocks, false_alarms
from lab.report.attribution import attribution_table
from lab.report.bootstrap import cluster_bootstrap_ci
from lab.report.coverage import coverage_side_by_side, coverage_table
from lab.report.person import run_person
from lab.report.survival import km_fit, km_median, observation_window_s, survival_data

CONFIG = Path("docs") / "reference-runs.yaml"
KEPT = Path("docs") / "reference-runs"
PERSON_FILE = "person.csv"  # the person's alerts and work per trial, from the run's events.jsonl


class ReferenceRun(BaseModel):
    model_config = ConfigDict(extra="forbid")
    scenario: str


class Block(BaseModel):
    """A marked block of a page: a table, or a figure (its Markdown image, drawn by ``write``)."""

    model_config = ConfigDict(extra="forbid")
    page: str
    block: str
    run: str
    table: str | None = None
    figure: str | None = None

    @model_validator(mode="after")
    def _one(self) -> Block:
        if (self.table is None) == (self.figure is None):
            raise ValueError(f"block {self.block!r}: give a table or a figure, not both or neither")
        return self


class References(BaseModel):
    model_config = ConfigDict(extra="forbid")
    runs: dict[str, ReferenceRun]
    blocks: list[Block]


def load(root: Path) -> References:
    return References.model_validate(yaml.safe_load((root / CONFIG).read_text()))


@dataclass(frozen=True)
class KeptRun:
    name: str
    manifest: dict
    trials: pd.DataFrame
    person: pd.DataFrame | None = None  # kept with the run (``keep``); None in older runs
    digest: str = ""  # of the files read: every table of the run follows from them
    folder: Path | None = None  # where it is kept (``usage.json`` beside it, for the cost)

    @classmethod
    def read(cls, root: Path, name: str) -> KeptRun:
        folder = root / KEPT / name
        manifest = (folder / "manifest.json").read_bytes()
        trials = (folder / "trials.csv").read_bytes()
        person, usage = folder / PERSON_FILE, folder / USAGE
        people = person.read_bytes() if person.is_file() else None
        metered = usage.read_bytes() if usage.is_file() else b""
        digest = hashlib.sha256()
        for part in (manifest, trials, people or b"", metered):
            digest.update(hashlib.sha256(part).digest())
        return cls(
            name,
            json.loads(manifest),
            pd.read_csv(io.BytesIO(trials)),
            pd.read_csv(io.BytesIO(people)) if people is not None else None,
            digest.hexdigest(),
            folder,
        )

    def stamp(self, scenario: str) -> str:
        """Where the block's numbers come from: run, scenario, seed, commit, lock."""
        versions = self.manifest.get("versions", {})
        lock = (versions.get("lock") or {}).get("sha256") or "none"
        commit = (self.manifest.get("git") or {}).get("commit") or "unknown"
        return (
            f"Reference run `{self.name}`: `{scenario}`, seed {self.manifest.get('seed')}, "
            f"run `{self.manifest.get('run_id')}`, commit `{commit[:10]}`, lock `{lock[:12]}`, "
            f"moto {versions.get('packages', {}).get('moto')}. Written by `make docs-results`."
        )


def _seconds(value: float) -> str:
    return "not reached" if value is None or not np.isfinite(value) else f"{value:,.0f} s"


def _km(trials: pd.DataFrame, column: str, window: pd.Series) -> float:
    data = survival_data(trials, column, window)
    return km_median(km_fit(data)) if len(data) else float("nan")


def headline(run: KeptRun) -> pd.DataFrame:
    """Per architecture: how many techniques end in each outcome, a technique counted under the
    outcome most of its trials had, and the share of all trials remediated and missed with its 95 %
    interval from a cluster bootstrap by technique (trials cluster within techniques); no latency
    pooled over unlike techniques: those are per technique, in the coverage table."""
    coverage = coverage_table(run.trials)
    rows = []
    for architecture, group in run.trials.groupby("architecture", sort=True):
        outcomes = coverage.loc[coverage["architecture"] == architecture, "outcome"]
        ran = group[group["outcome"] != "failed"]
        rows.append(
            {
                "architecture": architecture,
                "techniques": len(outcomes),
                "remediated": int((outcomes == "remediated").sum()),
                "detected only": int((outcomes == "detected only").sum()),
                "missed": int((outcomes == "missed").sum()),
                "trials": len(group),
                "trials remediated (95 % CI)": _share(ran, "remediated"),
                "trials missed (95 % CI)": _share(ran, "missed"),
            }
        )
    return pd.DataFrame(rows)


def _share(trials: pd.DataFrame, outcome: str) -> str:
    """The share of ``trials`` with ``outcome`` and its cluster-bootstrap 95 % CI by technique."""
    hits = (trials["outcome"] == outcome).to_numpy(float)
    low, high = cluster_bootstrap_ci(hits, trials["technique"].to_numpy(), np.mean)
    return f"{hits.mean():.0%} ({low:.0%}-{high:.0%})"


def summary(run: KeptRun) -> pd.DataFrame:
    """Per technique and architecture (and, in a sweep, per swept value): trials, detected and
    remediated shares, Kaplan-Meier medians."""
    trials = run.trials
    window = observation_window_s(trials, run.manifest.get("scenario", {}))
    swept = sweep_columns(trials)
    keys = [*swept, "technique", "architecture"]
    rows = []
    for values, group in trials.groupby(keys, sort=True):
        rows.append(
            {
                **{
                    short_name(k.removeprefix(SWEEP_COLUMN_PREFIX)): v
                    for k, v in zip(keys, values, strict=True)
                },
                "trials": len(group),
                "detected": f"{group['time_to_detect_s'].notna().mean():.0%}",
                "remediated": f"{(group['outcome'] == 'remediated').mean():.0%}",
                "median TTD (KM)": _seconds(_km(group, "time_to_detect_s", window)),
                "median TTR (KM)": _seconds(_km(group, "time_to_remediate_s", window)),
            }
        )
    return pd.DataFrame(rows)


def coverage(run: KeptRun) -> pd.DataFrame:
    """The catalog, one row per technique: each architecture's majority outcome (median time to
    detect of the detected trials, the path that saw it first in most trials)."""
    return coverage_side_by_side(coverage_table(run.trials))


# The arm kept without the shared detection list, and the arm with it (scenarios/coverage.yaml).
CLASSIC, WITH_LIST = "manual-classic", "manual"


def changed(run: KeptRun) -> pd.DataFrame:
    """The techniques whose outcome the shared detection list changes for the manual arm: the
    classic arm's majority outcome, the arm with the list's, and the path that saw the attack
    first in most of the latter's trials with its detector (the reason)."""
    table = coverage_table(run.trials)
    cells = {(row.technique, row.architecture): row for row in table.itertuples()}
    first = (
        run.trials.dropna(subset=["detection_source"])
        .groupby(["technique", "architecture"])["detection_source"]
        .agg(lambda sources: sources.astype(str).mode().iloc[0])
    )
    rows = []
    for technique in sorted(run.trials["technique"].unique()):
        before, after = cells.get((technique, CLASSIC)), cells.get((technique, WITH_LIST))
        if before is None or after is None or before.outcome == after.outcome:
            continue
        rows.append(
            {
                "technique": technique,
                CLASSIC: before.outcome,
                WITH_LIST: after.outcome,
                "first seen by": first.get((technique, WITH_LIST), "nothing"),
            }
        )
    return pd.DataFrame(rows, columns=["technique", CLASSIC, WITH_LIST, "first seen by"])


def benign(run: KeptRun) -> pd.DataFrame:
    """A benign workload's trials (``scenarios/benign-admin.yaml``) read as what they mean: per
    action and architecture, the trials that raised a false alert and those whose fix broke the
    legitimate work, and who broke it first; scaled by each action's ``rate_per_day``, the false
    alerts per day, pages per night, person-hours per week and changes broken per week it causes;
    a total row per architecture (``lab.report.false_alarms``)."""
    if run.person is None:
        raise ReferenceError(f"reference run {run.name!r} keeps no {PERSON_FILE}: keep it again")
    rates = {i: a.metadata.rate_per_day.value for i, a in benign_actions().items()}  # type: ignore[union-attr]
    trials = run.trials[run.trials["technique"].isin(rates)]
    frame = false_alarms.table(trials, run.person, rates)
    shown = {"rate / day": "{:.3g}", **{c: "{:.2f}" for c in false_alarms.RATES}}
    for column, pattern in shown.items():
        frame[column] = frame[column].map(pattern.format)
    return frame


def _signed(value: float) -> str:
    return "n/a" if value is None or not np.isfinite(value) else f"{value:+,.0f} s"


def attribution(run: KeptRun) -> pd.DataFrame:
    """An ablation's factor effects (``scenarios/ablation.yaml``): per factor and stage, the median
    paired difference (high level minus low level; negative is faster) with its 95 % cluster
    bootstrap CI by technique, the trials matched and how many of them were censored
    (``lab.report.attribution``)."""
    scenario = run.manifest.get("scenario", {})
    window = observation_window_s(run.trials, scenario)
    table = attribution_table(run.trials, scenario, window)
    rows = []
    for row in table.itertuples():
        rows.append(
            {
                "effect": row.effect,
                "contrast": row.contrast,
                "stage": row.stage,
                "matched trials": row.matched_trials,
                "censored (one / both)": f"{row.one_censored} / {row.both_censored}",
                "techniques": row.techniques,
                "median difference": _signed(row.median_difference_s),
                "95 % CI (by technique)": f"{_signed(row.ci_low_s)} to {_signed(row.ci_high_s)}",
            }
        )
    return pd.DataFrame(rows)


def cost(run: KeptRun) -> pd.DataFrame:
    """Monthly cost per workload profile and architecture, as ``lab cost`` prints it: the run's
    metered usage (its ``usage.json``) scaled to each profile, us-east-1 list prices, the
    profiles' hourly rate for the people."""
    from lab.cost.report import cost_lines
    from lab.cost.report import summary as cost_summary

    if run.folder is None or not (run.folder / USAGE).is_file():
        raise ReferenceError(f"reference run {run.name!r} kept no {USAGE}: run it again")
    table = cost_summary(cost_lines(run.folder))
    return pd.DataFrame(
        {
            "profile": table["profile"],
            "architecture": table["architecture"],
            **{
                f"{part} per month": table[part].map(lambda v: f"${v:,.2f}")
                for part in ("infrastructure", "people", "total")
                if part in table
            },
        }
    )


TABLES: dict[str, Callable[[KeptRun], pd.DataFrame]] = {
    "cost": cost,
    "assumptions-delay": assumptions_blocks.delay_response,
    "assumptions-effects": assumptions_blocks.effects,
    "attribution": attribution,
    "headline": headline,
    "summary": summary,
    "coverage": coverage,
    "changed": changed,
    "benign": benign,
}


TIMINGS = KEPT / "timings.json"  # written by .ci/time-clean-clone


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


def timings(root: Path) -> str:
    """The README's two commands timed from a clean clone, and where that was measured."""
    if not (root / TIMINGS).is_file():
        return "Not measured at this commit yet: `.ci/time-clean-clone` measures both."
    measured = json.loads((root / TIMINGS).read_text())
    table = pd.DataFrame(
        [
            {"command": "make demo", "from a clean clone": _duration(measured["make_demo_s"])},
            {
                "command": "make test",
                "from a clean clone": f"{_duration(measured['make_test_s'])} "
                f"({measured['tests']}, setup included)",
            },
        ]
    ).to_markdown(index=False)
    return (
        f"{table}\n\nMeasured by `.ci/time-clean-clone` on {measured['date']}: commit "
        f"`{measured['commit'][:10]}`, lock `{measured['lock'][:12]}`, {measured['machine']}, "
        f"uv's download cache {measured['uv_cache']}."
    )


CALIBRATION = Path("lab") / "sim" / "calibration.yaml"
_PARAMETERS = ("value", "median", "p90", "low", "high", "mean")


def _figure(entry: dict) -> str:
    shown = [f"{k} {entry[k]}" for k in _PARAMETERS if k in entry]
    return f"{entry.get('distribution', 'constant')}: {', '.join(shown)}" if shown else "-"


def _first_sentence(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= 160 else text[:157].rsplit(" ", 1)[0] + " ..."


def calibration(root: Path) -> str:
    """Every delay and constant of the simulation, with its status and where it comes from."""
    data = yaml.safe_load((root / CALIBRATION).read_text())
    rows = [
        {
            "name": f"`{name}`",
            "figure": _figure(entry),
            "status": entry.get("status", "?"),
            "source": _first_sentence(entry.get("source", "")),
        }
        for section in ("stages", "constants")
        for name, entry in data.get(section, {}).items()
    ]
    for profile, fields in data.get("operators", {}).items():
        rows += [
            {
                "name": f"`{profile}.{name}`",
                "figure": _figure(entry),
                "status": entry.get("status", "?"),
                "source": _first_sentence(entry.get("source", "")),
            }
            for name, entry in fields.items()
            if isinstance(entry, dict)
        ]
    table = pd.DataFrame(rows).to_markdown(index=False)
    return f"{table}\n\nRead from `{CALIBRATION.as_posix()}` by `make docs-results`."


def settings_table(_: Path) -> str:
    """Every LAB_* variable the lab reads, from ``lab/settings.py``."""
    from lab.settings import SETTINGS

    rows = [{"variable": f"`{s.name}`", "meaning": s.meaning, "unset": s.default} for s in SETTINGS]
    return f"{pd.DataFrame(rows).to_markdown(index=False)}\n\nFrom `lab/settings.py`."


def headline_figure(run: KeptRun, stamp: str, path: Path) -> None:
    """The headline as a figure: per architecture, the techniques remediated, detected only and
    missed (the headline table's counts), stamped with where they come from."""
    import matplotlib.pyplot as plt

    from lab.report.style import A4_COLUMN_WIDTH_IN

    counts = headline(run).set_index("architecture")
    outcomes = (("remediated", "#2b8a3e"), ("detected only", "#e8a33d"), ("missed", "#c92a2a"))
    fig, ax = plt.subplots(figsize=(A4_COLUMN_WIDTH_IN, 0.8 + 0.45 * len(counts)))
    left = np.zeros(len(counts))
    for outcome, color in outcomes:
        values = counts[outcome].to_numpy(float)
        ax.barh(counts.index, values, left=left, color=color, label=outcome)
        for y, (x, value) in enumerate(zip(left, values, strict=True)):
            if value:
                ax.text(x + value / 2, y, f"{value:.0f}", ha="center", va="center", fontsize=7)
        left += values
    ax.invert_yaxis()
    ax.set_xlabel(f"techniques of the catalog ({int(counts['techniques'].max())})")
    ax.legend(ncol=3, fontsize=7, loc="lower center", bbox_to_anchor=(0.5, 1.0), frameon=False)
    shown = stamp.removesuffix(" Written by `make docs-results`.").replace("`", "")
    fig.text(0.01, 0.01, shown, fontsize=4.5, color="grey")
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=200, metadata={"Software": None})
    plt.close(fig)


def coverage_figure(run: KeptRun, _: str, path: Path) -> None:
    """The run's coverage matrix as ``lab report`` draws it (``figures.coverage_matrix``): per
    technique and architecture, the majority outcome, the trials that had it and the median time to
    detect, the cells a CSPM scan saw first marked; only its PNG is kept."""
    from lab.report.figures import coverage_matrix

    for drawn in coverage_matrix(coverage_table(run.trials), path.with_suffix("")):
        if drawn != path:
            drawn.unlink()


# name -> (what it draws, the table whose numbers it shows: their digest goes in the block)
FIGURES: dict[
    str, tuple[Callable[[KeptRun, str, Path], None], Callable[[KeptRun], pd.DataFrame]]
] = {
    "headline": (headline_figure, headline),
    "coverage": (coverage_figure, coverage),
    "delay-response": (assumptions_blocks.delay_figure, assumptions_blocks.delay_response),
    "tornado": (assumptions_blocks.tornado_figure, assumptions_blocks.effects),
}


def figure_path(block: Block) -> Path:
    return KEPT / block.run / f"{block.figure}.png"


def scenario_fields(_: Path) -> str:
    """Every field of a scenario file, from the model ``lab run`` validates with: its type as the
    JSON Schema says, its default and its meaning."""
    from lab.experiment.scenario import Scenario

    schema = Scenario.model_json_schema()
    required = set(schema.get("required", []))
    rows = []
    for name, field in Scenario.model_fields.items():
        prop = schema["properties"][name]
        kinds = [
            option.get("type") or option.get("$ref", "").rsplit("/", 1)[-1]
            for option in prop.get("anyOf", [prop])
        ]
        if "enum" in prop:
            kinds = [" / ".join(map(str, prop["enum"]))]
        default = (
            "required"
            if name in required
            else json.dumps(
                field.default_factory() if field.default_factory else prop.get("default")
            )
        )
        rows.append(
            {
                "field": f"`{name}`",
                "type": " or ".join(k for k in kinds if k) or "object",
                "default": default,
                "meaning": field.description or "",
            }
        )
    return pd.DataFrame(rows).to_markdown(index=False) + (
        "\n\nWritten from `lab.experiment.scenario.Scenario` by `lab reference write`; "
        "`lab scenario schema` prints the same as JSON Schema."
    )


# (table function, kept run's digest) -> the table: `check` then `write`, and a figure's data beside
# its table, ask for the same table of the same files again (seconds each: Kaplan-Meier fits and
# cluster bootstraps). Module-level on purpose: a pure function's results, keyed by their inputs.
_made: dict[tuple[str, str], pd.DataFrame] = {}


def made(table: Callable[[KeptRun], pd.DataFrame], run: KeptRun) -> pd.DataFrame:
    """``table(run)``, made once per process for the same kept files."""
    if not run.digest:
        return table(run)
    key = (f"{table.__module__}.{table.__qualname__}", run.digest)
    if key not in _made:
        _made[key] = table(run)
    return _made[key].copy()


def render(root: Path, block: Block, references: References, draw: bool = False) -> str:
    """The block's text: its table in Markdown (or its figure, drawn when ``draw``), then where
    it comes from."""
    if block.figure is not None:
        run = KeptRun.read(root, block.run)
        stamp = run.stamp(references.runs[block.run].scenario)
        draw_figure, data = FIGURES[block.figure]
        if draw:
            draw_figure(run, stamp, root / figure_path(block))
        digest = hashlib.sha256(made(data, run).to_csv(index=False).encode()).hexdigest()[:12]
        relative = Path(os.path.relpath(root / figure_path(block), (root / block.page).parent))
        return (
            f"![{block.figure}: {block.run}]({relative.as_posix()})\n\n"
            f"{stamp} Figure of data `{digest}`."
        )
    if block.table == "settings":
        return settings_table(root)
    if block.table == "scenario-fields":
        return scenario_fields(root)
    if block.table == "timings":
        return timings(root)
    if block.table in ("bench", "bench-techniques"):  # benchmarks/run.py --keep
        from lab.report import bench_page

        return bench_page.bench(root) if block.table == "bench" else bench_page.techniques(root)
    if block.table == "calibration":
        return calibration(root)
    run = KeptRun.read(root, block.run)
    table = made(TABLES[block.table], run).to_markdown(index=False)
    return f"{table}\n\n{run.stamp(references.runs[block.run].scenario)}"


def _pattern(name: str) -> re.Pattern[str]:
    """A block and its markers: group 2 is its text, up to the closing marker's line."""
    return re.compile(
        rf"(<!-- generated: {re.escape(name)}(?= |-->)[^>]*-->\n)(.*?)(<!-- /generated: {re.escape(name)} -->)",
        re.S,
    )


class ReferenceError(RuntimeError):
    """A page lacks a block the configuration names, or a kept run is missing."""


def _blocks(root: Path) -> tuple[References, list[tuple[Block, re.Match[str]]]]:
    references = load(root)
    found = []
    for block in references.blocks:
        page = (root / block.page).read_text()
        match = _pattern(block.block).search(page)
        if match is None:
            raise ReferenceError(
                f"{block.page} has no block {block.block!r} (<!-- generated: {block.block} --> ... "
                f"<!-- /generated: {block.block} -->)"
            )
        found.append((block, match))
    return references, found


def check(root: Path) -> list[str]:
    """The blocks whose page differs from what their run gives, and figures not drawn (empty:
    none)."""
    references, blocks = _blocks(root)
    problems = []
    for block, match in blocks:
        if match.group(2) != render(root, block, references) + "\n":
            problems.append(
                f"{block.page}: block {block.block!r} differs from reference run {block.run!r}"
            )
        elif block.figure is not None and not (root / figure_path(block)).is_file():
            problems.append(f"{block.page}: figure {figure_path(block)} is not drawn")
    return problems


def write(root: Path) -> list[str]:
    """Write every block into its page (and draw its figure); the pages changed."""
    references, blocks = _blocks(root)
    changed = []
    for block, _ in blocks:
        text = render(root, block, references, draw=True) + "\n"
        path = root / block.page
        page = path.read_text()
        updated = _pattern(block.block).sub(
            lambda m, text=text: m.group(1) + text + m.group(3), page, count=1
        )
        if updated != page:
            path.write_text(updated)
            changed.append(f"{block.page}:{block.block}")
    return changed


def keep(root: Path, name: str, run_dir: Path) -> Path:
    """Copy a finished run's manifest and trials as reference run ``name``, with the person's
    alerts and work per trial read from its events (``person.csv``)."""
    manifest = json.loads((run_dir / "manifest.json").read_text())
    if manifest.get("status") != "complete":
        raise ReferenceError(f"{run_dir} is not a complete run (status {manifest.get('status')})")
    folder = root / KEPT / name
    folder.mkdir(parents=True, exist_ok=True)
    if (
        manifest.get("kind") == "sweep"
    ):  # every point's trials in one file, the swept values as columns
        load_trials(run_dir).to_csv(folder / "trials.csv", index=False)
    else:
        (folder / "trials.csv").write_bytes((run_dir / "trials.csv").read_bytes())
    (folder / "manifest.json").write_bytes((run_dir / "manifest.json").read_bytes())
    per_point(run_dir, run_person).to_csv(folder / PERSON_FILE, index=False)
    with contextlib.suppress(RunNotFound):  # what the simulation metered (a sweep: its first point)
        (folder / USAGE).write_bytes((load_run(run_dir).usage_dir / USAGE).read_bytes())
    # The calibration as the repository names it, not as this machine's checkout does.
    calibration = Path(manifest.get("calibration_path") or "")
    if calibration.is_absolute() and calibration.is_relative_to(root.resolve()):
        manifest["calibration_path"] = calibration.relative_to(root.resolve()).as_posix()
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return folder
