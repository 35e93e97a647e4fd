"""The shared detection list: the CloudTrail API-call detections every architecture deploys.

``catalog.yaml`` beside this module is the one list (its header says why and how); ``load`` reads
and checks it. The serverless stack reads the same file with Terraform's ``yamldecode``
(``terraform/detections.yaml`` links to it) and the manual one with ``cli-baseline/deploy.sh``.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

CATALOG = Path(__file__).with_name("catalog.yaml")
# EventBridge rule names: 64 characters of [.\-_A-Za-z0-9]; the longest prefix an architecture
# puts before an id is "lab-manual-" (cli-baseline/deploy.sh).
_ID = re.compile(r"[a-z0-9][a-z0-9-]{0,50}")
_URL = re.compile(r"\(https?://[^)\s]+\)")


class Detection(BaseModel):
    """One detection: what to watch, who recommends it, the EventBridge pattern that watches it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    title: str
    sources: tuple[str, ...] = Field(min_length=1)
    pattern: dict[str, Any]

    @field_validator("id")
    @classmethod
    def _rule_name(cls, value: str) -> str:
        if not _ID.fullmatch(value):
            raise ValueError(f"{value!r}: lower-case letters, digits and '-', at most 51")
        return value

    @field_validator("sources")
    @classmethod
    def _cited(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        uncited = [source for source in value if not _URL.search(source)]
        if uncited:
            raise ValueError(f"each source ends with its address in parentheses: {uncited}")
        return value

    @property
    def event_names(self) -> tuple[str, ...]:
        """The CloudTrail event names the pattern lists (empty: it matches on other fields)."""
        return tuple((self.pattern.get("detail") or {}).get("eventName") or ())


class Catalog(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    detections: tuple[Detection, ...]

    @field_validator("detections")
    @classmethod
    def _unique(cls, value: tuple[Detection, ...]) -> tuple[Detection, ...]:
        ids = [d.id for d in value]
        twice = sorted({i for i in ids if ids.count(i) > 1})
        if twice:
            raise ValueError(f"ids listed twice: {twice}")
        return value


@cache
def load(path: Path = CATALOG) -> tuple[Detection, ...]:
    """The detections of ``path`` (the shared list by default), checked."""
    return Catalog.model_validate(yaml.safe_load(path.read_text())).detections
