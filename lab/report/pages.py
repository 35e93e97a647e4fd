"""Figures at catalog scale: the techniques split into pages by ATT&CK tactic, at most a dozen panels
(or a few dozen rows) a page, so that every page prints on A4 or letter at a readable size. A
figure function draws one page (a DataFrame of its techniques); ``draw_pages`` calls it per page
and says which page holds which techniques."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from lab.attacks.registry import techniques as catalog

PANELS_PER_PAGE = 12  # small multiples: a 3 x 4 or 4 x 3 grid
ROWS_PER_PAGE = 27  # one-row-per-technique figures (forest plot, coverage matrix), two arms


def per_page(lanes: int, arms: int, cap: int = PANELS_PER_PAGE) -> int:
    """Techniques a page holds when each takes a lane per arm: ``lanes`` lanes shared by ``arms``
    arms, at most ``cap`` and at least two."""
    return min(cap, max(2, lanes // max(arms, 1)))


@dataclass(frozen=True)
class Page:
    """One page of a figure: its PNG and the techniques it draws (empty: the figure is whole)."""

    png: Path
    techniques: tuple[str, ...]


def tactic_of(technique: str) -> str:
    """The technique's ATT&CK tactic ("TA0005 Defense Evasion"), "other" if not in the catalog."""
    known = catalog().get(technique)
    if known is None:
        return "other"
    mapping = known.metadata.mitre_attack
    return f"{mapping.tactic} {mapping.tactic_name}"


def paginate(techniques: list[str], per_page: int = PANELS_PER_PAGE) -> list[list[str]]:
    """The techniques in tactic order (then by name), a tactic's techniques kept together where
    they fit on a page, a tactic larger than a page split; small tactics share a page."""
    by_tactic: dict[str, list[str]] = {}
    for technique in sorted(set(techniques), key=lambda t: (tactic_of(t), t)):
        by_tactic.setdefault(tactic_of(technique), []).append(technique)
    chunks = [
        members[i : i + per_page]
        for members in by_tactic.values()
        for i in range(0, len(members), per_page)
    ]
    pages: list[list[str]] = []
    for chunk in chunks:
        if pages and len(pages[-1]) + len(chunk) <= per_page:
            pages[-1].extend(chunk)
        else:
            pages.append(list(chunk))
    return pages


def draw_pages(
    draw: Callable[..., list[Path]],
    data: pd.DataFrame,
    out_base: Path,
    *args: Any,
    per_page: int = PANELS_PER_PAGE,
    **kwargs: Any,
) -> list[Page]:
    """``draw(rows of the page, out_base[_pN], *args)`` for each page of ``data``'s techniques;
    one page keeps ``out_base``'s name, more are ``<name>_p1``, ``<name>_p2``..."""
    pages = paginate(list(data["technique"]), per_page)
    drawn = []
    for number, members in enumerate(pages, 1):
        base = Path(out_base)
        if len(pages) > 1:
            base = base.with_name(f"{base.name}_p{number}")
        rows = data[data["technique"].isin(members)]
        holds = tuple(members) if len(pages) > 1 else ()
        drawn.append(Page(draw(rows, base, *args, **kwargs)[0], holds))
    return drawn
