"""The lab's own speed in docs/, written by the command that measured it.

``benchmarks/run.py --keep`` (``make bench KEEP=1``) writes ``docs/reference-runs/bench.json``
(``keep``): when and where it measured (date, commit, uncommitted changes, lock digest, machine),
the options it ran with, every measure and the per-technique rows (``rows``). ``lab reference write`` renders
two blocks from it (``bench`` and ``bench-techniques`` in ``docs/reference-runs.yaml``), and
``lab reference check`` fails when a page's block differs from the file.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from lab.experiment.manifest import git_commit
from lab.lock import lock_state
from lab.paths import REPO_ROOT

BENCH = Path("docs") / "reference-runs" / "bench.json"
NOT_MEASURED = "Not measured at this commit yet: `make bench KEEP=1` measures it."


@dataclass(frozen=True)
class Target:
    """What a measure whose name ends with ``suffix`` should reach: at least or at most ``value``."""

    suffix: str
    value: float
    at_most: bool = False

    def shown(self) -> str:
        return f"<= {self.value:g}" if self.at_most else f">= {self.value:,.0f}"

    def met(self, measured: float) -> bool:
        return measured <= self.value if self.at_most else measured >= self.value


# The lab's targets for its own speed, read by `make bench` (its tables) and the `bench` block.
TARGETS = (
    Target("records_per_s", 50_000),  # matching and generating CloudTrail records
    Target("compression_x", 1_000),  # virtual time over wall time
    Target("overhead_vs_floor_x", 1.5, at_most=True),  # a trial's cost over its floor
)
OVER_FLOOR_X = next(t.value for t in TARGETS if t.suffix == "overhead_vs_floor_x")


def target(measure: str) -> Target | None:
    """The target a measure is held to, or None."""
    return next((t for t in TARGETS if measure.endswith(t.suffix)), None)


def dirty(root: Path) -> bool | None:
    """Whether the checkout measured has changes not committed (the kept file itself aside: a
    second run would otherwise call the first one's file a change)."""
    try:
        status = subprocess.run(
            ["git", "status", "--porcelain", "--", ".", f":(exclude){BENCH.as_posix()}"],
            cwd=root,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return bool(status.strip())


def machine() -> str:
    """Cores and memory, as ``.ci/time-clean-clone`` records them."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} cores, {memory:.0f} GiB"


def keep(
    out_root: Path,
    options: dict[str, Any],
    results: dict[str, float],
    rows: list[dict[str, Any]],
) -> dict[str, Any]:
    """Write ``out_root/docs/reference-runs/bench.json`` from a finished benchmark; what it wrote.
    ``options``: ``campaign`` (a path or None), ``techniques`` ("all", "none" or "a,b"), ``trials``."""
    kept = {
        "date": datetime.now(UTC).date().isoformat(),
        "commit": git_commit()["commit"],
        "dirty": dirty(REPO_ROOT),
        "lock": lock_state().sha256,
        "machine": machine(),
        "options": options,
        "results": results,
        "techniques": rows,
    }
    path = out_root / BENCH
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(kept, indent=2) + "\n")
    return kept


def rounded(value: float, digits: int = 3) -> str:
    """``value`` to ``digits`` significant digits, thousands separated; a whole number (a count)
    as it is; n/a when not finite."""
    if not math.isfinite(value):
        return "n/a"
    if value == int(value):
        return f"{int(value):,}"
    decimals = digits - 1 - math.floor(math.log10(abs(value)))
    return f"{round(value, decimals):,.{max(decimals, 0)}f}"


def command(options: dict[str, Any]) -> str:
    """The ``make bench`` line that gives ``options``."""
    words = ["make bench KEEP=1"]
    if options.get("techniques", "all") != "all":
        words.append(f"TECHNIQUES={options['techniques']}")
    if options.get("trials", 1) != 1:
        words.append(f"TRIALS={options['trials']}")
    if options.get("campaign"):
        words.append(f"CAMPAIGN={options['campaign']}")
    return " ".join(words)


def stamp(kept: dict[str, Any]) -> str:
    """Where the numbers come from: the command, the date, the commit, the lock, the machine."""
    commit = (kept.get("commit") or "unknown")[:10]
    changes = " with uncommitted changes" if kept.get("dirty") else ""
    return (
        f"Measured by `{command(kept['options'])}` on {kept['date']}: commit `{commit}`{changes}, "
        f"lock `{(kept.get('lock') or 'none')[:12]}`, {kept['machine']}."
    )


def _read(root: Path) -> dict[str, Any] | None:
    path = root / BENCH
    return json.loads(path.read_text()) if path.is_file() else None


def measures(kept: dict[str, Any]) -> pd.DataFrame:
    """Every measure (its unit in its name), its value, its target and whether it is met."""
    rows = []
    for name, value in kept["results"].items():
        aim = target(name)
        rows.append(
            {
                "measure": f"`{name}`",
                "value": rounded(value),
                "target": aim.shown() if aim else "",
                "met?": ("yes" if aim.met(value) else "no") if aim else "",
            }
        )
    return pd.DataFrame(rows, columns=["measure", "value", "target", "met?"])


def bench(root: Path) -> str:
    """The ``bench`` block: every measure against its target, then where it was measured."""
    kept = _read(root)
    if kept is None:
        return NOT_MEASURED
    table = measures(kept).to_markdown(
        index=False, disable_numparse=True, colalign=("left", "right", "right", "left")
    )
    return f"{table}\n\n{stamp(kept)}"


def per_technique(kept: dict[str, Any]) -> pd.DataFrame:
    """Per technique and architecture, CPU first: CPU per trial against its floor, flagged over
    ``OVER_FLOOR_X``."""
    rows = sorted(
        kept["techniques"],
        key=lambda r: (-r["cpu_per_trial_s"], r["technique"], r["architecture"]),
    )
    return pd.DataFrame(
        [
            {
                "technique": r["technique"],
                "architecture": r["architecture"],
                "CPU per trial (s)": f"{r['cpu_per_trial_s']:.3f}",
                "API calls": f"{r['api_calls']:.0f}",
                "aws runs": f"{r['cli_runs']:.0f}",
                "floor (s)": f"{r['floor_s']:.3f}",
                "x floor": f"{r['over_floor_x']:.2f}",
                f"over {OVER_FLOOR_X:g}x": "yes" if r["over_floor_x"] > OVER_FLOOR_X else "",
            }
            for r in rows
        ]
    )


def techniques(root: Path) -> str:
    """The ``bench-techniques`` block: the per-technique table, how many are over the limit, and
    where it was measured."""
    kept = _read(root)
    if kept is None:
        return NOT_MEASURED
    rows = kept["techniques"]
    if not rows:
        return f"No technique measured (`TECHNIQUES=none`).\n\n{stamp(kept)}"
    over = sum(1 for r in rows if r["over_floor_x"] > OVER_FLOOR_X)
    table = per_technique(kept).to_markdown(
        index=False, disable_numparse=True, colalign=("left", "left", *["right"] * 5, "left")
    )
    return f"{table}\n\n{over} of {len(rows)} over {OVER_FLOOR_X:g}x their floor.\n\n{stamp(kept)}"
