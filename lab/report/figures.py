"""Figures: each a function of a results DataFrame, written as PNG (300 dpi) and PDF."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

# Colour-blind safe (Okabe-Ito) and distinguishable in greyscale by hatch and marker.
ARCHITECTURE_STYLE = {
    "manual": {"color": "#E69F00", "hatch": "//", "marker": "o"},
    "serverless": {"color": "#0072B2", "hatch": "", "marker": "s"},
}
A4_COLUMN_WIDTH_IN = 6.3


def save_figure(fig: plt.Figure, out_base: Path) -> list[Path]:
    """Write ``fig`` as PNG (300 dpi) and PDF beside ``out_base``; return both paths."""
    out_base.parent.mkdir(parents=True, exist_ok=True)
    paths = [out_base.with_suffix(".png"), out_base.with_suffix(".pdf")]
    fig.savefig(paths[0], dpi=300, bbox_inches="tight")
    fig.savefig(paths[1], bbox_inches="tight", metadata={"CreationDate": None})
    plt.close(fig)
    return paths


def latency_comparison(trials: pd.DataFrame, out_base: Path) -> list[Path]:
    """Time to detect and time to remediate per architecture (box + points, log axis)."""
    metrics = [("time_to_detect_s", "Time to detect"), ("time_to_remediate_s", "Time to remediate")]
    architectures = [a for a in ARCHITECTURE_STYLE if a in set(trials["architecture"])]
    fig, axes = plt.subplots(1, 2, figsize=(A4_COLUMN_WIDTH_IN, 2.8), sharey=False)
    rng = np.random.default_rng(0)  # jitter only; fixed so the figure is reproducible
    for ax, (column, title) in zip(axes, metrics, strict=True):
        data = [
            trials.loc[trials["architecture"] == a, column].dropna().to_numpy()
            for a in architectures
        ]
        positions = range(1, len(architectures) + 1)
        kept = [(p, d, a) for p, d, a in zip(positions, data, architectures, strict=True) if len(d)]
        if kept:
            boxes = ax.boxplot(
                [d for _, d, _ in kept],
                positions=[p for p, _, _ in kept],
                widths=0.5,
                patch_artist=True,
                showfliers=False,
                medianprops={"color": "black", "linewidth": 1.2},
            )
            for patch, (_, _, arch) in zip(boxes["boxes"], kept, strict=True):
                style = ARCHITECTURE_STYLE[arch]
                patch.set(facecolor=style["color"], alpha=0.35, hatch=style["hatch"])
            for position, values, arch in kept:
                style = ARCHITECTURE_STYLE[arch]
                ax.scatter(
                    position + rng.uniform(-0.12, 0.12, len(values)),
                    values,
                    s=10,
                    marker=style["marker"],
                    color=style["color"],
                    edgecolor="black",
                    linewidth=0.3,
                    zorder=3,
                )
        for position, values in zip(positions, data, strict=True):
            n_total = int((trials["architecture"] == architectures[position - 1]).sum())
            ax.annotate(
                f"{len(values)}/{n_total}",
                (position, 1),
                xycoords=("data", "axes fraction"),
                xytext=(0, 3),
                textcoords="offset points",
                ha="center",
                fontsize=7,
            )
        ax.set_yscale("log")
        ax.set_xticks(list(positions), architectures)
        ax.set_title(title, fontsize=9, pad=12)
        ax.set_ylabel("seconds (log scale)", fontsize=8)
        ax.tick_params(labelsize=8)
        ax.grid(axis="y", which="both", linewidth=0.3, alpha=0.5)
    techniques = ", ".join(sorted(set(trials["technique"])))
    fig.suptitle(f"{techniques}: manual vs serverless", fontsize=9, y=1.04)
    fig.tight_layout()
    return save_figure(fig, out_base)
