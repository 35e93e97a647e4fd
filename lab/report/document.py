"""The run report: ``report.md`` and a self-contained ``report.html`` (figures embedded)."""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path

import pandas as pd

from lab.cost.report import cost_lines, summary
from lab.experiment.plan import recorded_calibration
from lab.experiment.results import is_sweep_run, load_trials, sweep_columns
from lab.report.attribution import attribution_table
from lab.report.captions import caption
from lab.report.coverage import coverage_side_by_side, coverage_table
from lab.report.effects import effects_table
from lab.report.flattered import flattered_table
from lab.report.latex import write_latex
from lab.report.multiplicity import family_size
from lab.report.pages import Page
from lab.report.paired import arm_pairs, paired_table, pooled_table
from lab.report.paths import path_table
from lab.report.precision import precision_table
from lab.report.readable import readable
from lab.report.report_figures import first_point, not_redrawn, report_figures
from lab.report.stages import stage_table, stage_times
from lab.report.statistics import (
    rate_table,
)
from lab.report.survival import km_table, observation_window_s
from lab.sim.calibration import Calibration

_CSS = """body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222}
table{border-collapse:collapse;margin:.5rem 0 1.5rem;font-size:.85rem}th,td{border:1px solid #ccc;
padding:.2rem .5rem;text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
img{max-width:100%}code{background:#f3f3f3;padding:0 .2rem}"""


def _calibration_table(calibration: Calibration) -> pd.DataFrame:
    rows = []
    for name, stage in calibration.stages.items():
        params = {
            k: v
            for k, v in stage.model_dump().items()
            if k not in ("distribution", "status", "source") and v is not None
        }
        rows.append(
            {
                "stage": name,
                "distribution": stage.distribution,
                "parameters": params,
                "status": stage.status,
                "source": " ".join(stage.source.split()),
            }
        )
    for profile_name, profile in calibration.operators.items():
        for field in ("read_alert_s", "diagnose_s", "runbook_command_s", "review_alert_s"):
            stage = getattr(profile, field)
            rows.append(
                {
                    "stage": f"operator {profile_name}: {field}",
                    "distribution": stage.distribution,
                    "parameters": {"median": stage.median, "p90": stage.p90},
                    "status": stage.status,
                    "source": " ".join(stage.source.split()),
                }
            )
    return pd.DataFrame(rows)


Table = tuple[str, pd.DataFrame]  # a report table: its caption, its rows


def _sections(run_dir: Path) -> tuple[dict, list[Table], list[Page]]:
    """The report's tables, in order, and its figures' pages."""
    manifest = json.loads((run_dir / "manifest.json").read_text())
    scenario = manifest.get("scenario", {})
    trials = load_trials(run_dir)
    window = observation_window_s(trials, scenario)
    km = km_table(trials, window)
    tables = _latency_tables(trials, km)
    tables += _comparisons(trials, window, scenario, km)
    attribution = attribution_table(trials, scenario, window)
    tables += _attribution_tables(attribution)
    sweep = is_sweep_run(run_dir)
    has_events = (run_dir / "events.jsonl").exists() or sweep
    path_tables, first_stages = _path_tables(run_dir) if has_events else ([], pd.DataFrame())
    tables += path_tables
    coverage = coverage_table(trials.drop(columns=sweep_columns(trials)))
    tables += _coverage_tables(trials, coverage)
    tables += _cost_and_calibration_tables(run_dir, manifest, sweep)
    pages = report_figures(
        run_dir,
        manifest,
        trials,
        window,
        {
            "km": km_table(first_point(trials), window),
            "coverage": coverage,
            "attribution": attribution,
            "stages": first_stages,
        },
        _emulated_twin(run_dir, manifest),
    )
    left_out = not_redrawn(run_dir, pages)
    if left_out:
        tables.append(
            (
                "Figures in the run's folder not redrawn by this report (drawn by another command "
                "or an older layout, perhaps with other options): left out",
                pd.DataFrame({"figure": [p.name for p in left_out]}),
            )
        )
    return manifest, tables, pages


def _latency_tables(trials: pd.DataFrame, km: pd.DataFrame) -> list[Table]:
    """Latency per stage with censored trials kept, what the uncensored median flatters, rates."""
    horizon = km["horizon_s"].iloc[0] if len(km) else float("nan")
    return [
        (
            "Latency per stage, censored trials kept (Kaplan-Meier): a trial not there by the end "
            "of its observation is censored there, not dropped. fraction_reached by the horizon "
            f"({horizon:,.0f} s); Kaplan-Meier median and p90 with their 95 % CIs (not reached: "
            "fewer than half / nine in ten got there); RMST: the restricted mean time over the "
            "horizon, a trial not there counting the horizon, with its 95 % CI; last, "
            "uncensored_median_s: the median of the trials that got there ONLY, for comparison",
            readable(km),
        ),
        (
            "Where the median of the trials that got there disagrees with the survival median: "
            "the arm it would have flattered (faster on the trials it caught, slower with its "
            "misses counted)",
            readable(flattered_table(km)),
        ),
        (
            "Detection and remediation rates (95 % Wilson intervals)",
            readable(rate_table(trials), 3),
        ),
    ]


def _attribution_tables(attribution: pd.DataFrame) -> list[Table]:
    """Each factor's effect, where the scenario's arms differ in factors."""
    if not len(attribution):
        return []
    return [
        (
            "Attribution: each factor's effect, read from the arms that differ in it alone, "
            "trial by trial (the same injection moments): the median and the mean paired "
            "difference in seconds (high level minus low level, negative = faster), each with "
            "its 95 % cluster-bootstrap CI by technique (trial_ci: the trial bootstrap's, too "
            "narrow where techniques differ); newly_reached: pairs the factor turned from "
            "missed into reached, net; trials not there by the end count with their window "
            "(a bound)",
            readable(attribution),
        )
    ]


def _path_tables(run_dir: Path) -> tuple[list[Table], pd.DataFrame]:
    """From the timeline: the detection paths and where the time goes; and the stages of the
    first sweep point (the figure's)."""
    times = stage_times(run_dir)
    tables = [
        (
            "Detection paths: trials each path detected (and the techniques they span), seconds "
            "from injection to its first detection over those trials; the median's 95 % CI "
            "from a cluster bootstrap by technique",
            readable(path_table(run_dir)),
        ),
        (
            "Where the time goes: median seconds from injection to each stage of the path, "
            "with its 95 % bootstrap CI",
            readable(stage_table(times)),
        ),
    ]
    return tables, stage_table(first_point(times))


def _coverage_tables(trials: pd.DataFrame, coverage: pd.DataFrame) -> list[Table]:
    """Coverage per ATT&CK technique, and side by side where there are several architectures."""
    tables = [
        (
            "Coverage per ATT&CK technique and architecture: the outcome most trials had, and the "
            "fraction of trials remediated / detected only / missed with its 95 % Wilson interval "
            "(what a few trials can say); detect_median_s: of the detected trials only",
            readable(coverage),
        )
    ]
    if trials["architecture"].nunique() > 1:
        tables.append(
            (
                "Coverage side by side: outcome (median time to detect, first detection path)",
                coverage_side_by_side(coverage),
            )
        )
    return tables


def _cost_and_calibration_tables(run_dir: Path, manifest: dict, sweep: bool) -> list[Table]:
    """The monthly cost (where usage was metered), the calibration used, a sweep's points."""
    tables = []
    if (run_dir / "usage.json").exists():
        tables.append(
            (
                "Monthly cost, USD (list prices; `lab cost` for details)",
                readable(summary(cost_lines(run_dir)), 2),
            )
        )
    calibration = recorded_calibration(manifest)
    tables.append(
        ("Calibration used (every figure with its source)", _calibration_table(calibration))
    )
    if sweep:
        tables.append(("Sweep points (one run each under points/)", _points_table(run_dir)))
    return tables


def _comparisons(
    trials: pd.DataFrame, window: pd.Series, scenario: dict, km: pd.DataFrame
) -> list[tuple[str, pd.DataFrame]]:
    """The arms compared trial by trial, pooled with techniques as strata, as effects a reader
    can weigh, and how many trials a chosen precision needs."""
    pairs = arm_pairs(trials, scenario)
    tables: list[tuple[str, pd.DataFrame]] = []
    if pairs:
        paired = paired_table(trials, window, pairs)
        pooled = pooled_table(trials, window, pairs)
        tables += [
            (
                "Paired tests per technique and stage: trial k of both arms had the same injection "
                "moment, so the Wilcoxon signed-rank test on their differences (b - a; a trial not "
                "there counts its window, a bound; pairs censored on both sides are ties, dropped). "
                f"Family for p_holm (Holm) and p_bh (Benjamini-Hochberg): every technique x stage x "
                f"pair of arms of this run, {family_size(paired.get('p_value', pd.Series()))} "
                "tests. A p-value measures the simulation's noise only: weigh the effects below",
                readable(paired),
            ),
            (
                "Pooled over techniques: the log-rank test stratified by technique (each technique "
                "its own baseline). Family for p_holm / p_bh: every stage x pair of arms, "
                f"{family_size(pooled.get('p_value', pd.Series()))} tests",
                readable(pooled),
            ),
            (
                "Effects a reader can weigh (restricted mean times over the horizon, every trial "
                "counted): seconds b saves over a (RMST_a - RMST_b, 95 % CI), RMST_b / RMST_a, "
                "and how much larger a fraction b gets there within 15 min / 1 h / 1 day ('-': "
                "past the horizon); '(all techniques)': the mean over techniques, 95 % CI by a "
                "cluster bootstrap over techniques",
                readable(effects_table(trials, window, pairs)),
            ),
        ]
    tables.append(
        (
            "How many trials: per cell, from this run's interval widths (a 95 % CI narrows as one "
            "over the square root of the trials): the trials for the RMST within +-10 % and for "
            "the fraction reached within +-0.10 (Wilson)",
            readable(precision_table(km)),
        )
    )
    return tables


def _described(page: Page) -> str:
    """The figure's caption, and for a page of a paged figure the techniques it holds."""
    holds = f" This page: {', '.join(page.techniques)}." if page.techniques else ""
    return caption(page.png) + holds


def _emulated_twin(run_dir: Path, manifest: dict) -> Path | None:
    """For a wall-clock run, the newest emulated run of the same scenario beside it."""
    if manifest.get("target") not in ("aws", "aws-stand-in"):
        return None
    twins = []
    for other in run_dir.parent.glob("*/manifest.json"):
        data = json.loads(other.read_text())
        if data.get("target") == "emulated" and (other.parent / "trials.csv").exists():
            twins.append(other.parent)
    return max(twins, key=lambda p: p.stat().st_mtime) if twins else None


def _points_table(run_dir: Path) -> pd.DataFrame:
    manifest = json.loads((run_dir / "manifest.json").read_text())
    rows = []
    for point in manifest["points"]:
        trials_csv = run_dir / "points" / point["id"] / "trials.csv"
        done = len(trials_csv.read_text().splitlines()) - 1 if trials_csv.exists() else 0
        rows.append(
            {"point": point["id"], **point["values"], "seed": point["seed"], "trials": done}
        )
    return pd.DataFrame(rows)


def _facts(manifest: dict) -> list[tuple[str, str]]:
    scenario = manifest.get("scenario", {})
    git = manifest.get("git", {})
    versions = manifest.get("versions", {})
    packages = versions.get("packages", {})
    return [
        ("scenario", f"{scenario.get('name')}: {scenario.get('description', '')}"),
        ("run", str(manifest.get("run_id"))),
        ("target", str(manifest.get("target"))),
        ("seed", str(manifest.get("seed"))),
        ("trials per architecture", str(scenario.get("trials"))),
        ("calibration sha256", str(manifest.get("calibration_sha256"))),
        ("git commit", f"{git.get('commit')}{' (dirty)' if git.get('dirty') else ''}"),
        (
            "versions",
            f"python {versions.get('python')}, moto {packages.get('moto')}, "
            f"boto3 {packages.get('boto3')}, awscli {packages.get('awscli')}, "
            f"terraform {versions.get('terraform')}",
        ),
        ("status", f"{manifest.get('status')} (finished {manifest.get('finished_at')})"),
    ]


def write_report(run_dir: Path, latex: bool = False) -> tuple[Path, Path]:
    """Write ``report.md`` and ``report.html`` into ``run_dir`` (``latex``: and ``latex/``, see
    ``lab.report.latex``); return the first two paths."""
    run_dir = Path(run_dir)
    manifest, tables, pages = _sections(run_dir)
    figures = [page.png for page in pages]
    if latex:
        write_latex(run_dir, tables, figures)
    title = f"Run report: {manifest.get('scenario', {}).get('name')} / {manifest.get('run_id')}"
    md = [f"# {title}", "", *(f"- **{k}**: {v}" for k, v in _facts(manifest)), ""]
    page = [
        f"<h1>{html.escape(title)}</h1><ul>",
        *(f"<li><b>{html.escape(k)}</b>: {html.escape(v)}</li>" for k, v in _facts(manifest)),
        "</ul>",
    ]
    md += [
        "## Figures",
        "",
        *(f"{n}. {page.png.stem}: {_described(page)}" for n, page in enumerate(pages, 1)),
        "",
    ]
    page += [
        "<h2>Figures</h2><ol>",
        *(
            f'<li><a href="#{page.png.stem}">{html.escape(page.png.stem)}</a>: '
            f"{html.escape(_described(page))}</li>"
            for page in pages
        ),
        "</ol>",
    ]
    for n, figure in enumerate(figures, 1):
        relative = figure.relative_to(run_dir).as_posix()
        md += [f"![Figure {n}. {figure.stem}]({relative})", ""]
        encoded = base64.b64encode(figure.read_bytes()).decode()
        page.append(
            f'<figure id="{figure.stem}"><img alt="{figure.stem}" '
            f'src="data:image/png;base64,{encoded}"><figcaption>Figure {n}. '
            f"{html.escape(caption(figure))}</figcaption></figure>"
        )
    for heading, table in tables:
        md += [
            f"## {heading}",
            "",
            table.to_markdown(index=False) if not table.empty else "(none)",
            "",
        ]
        page += [
            f"<h2>{html.escape(heading)}</h2>",
            table.to_html(index=False, border=0) if not table.empty else "<p>(none)</p>",
        ]
    md_path, html_path = run_dir / "report.md", run_dir / "report.html"
    md_path.write_text("\n".join(md))
    html_path.write_text(
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
        f"</title><style>{_CSS}</style></head><body>{''.join(page)}</body></html>"
    )
    return md_path, html_path
