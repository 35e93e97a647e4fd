"""What a technique is: metadata that documents itself, and detonate / is_remediated / revert.

Shaped after Stratus Red Team (one technique per folder, detonate/revert symmetry, detection guidance
beside the attack) and Prowler (metadata in a data file beside the code).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from lab.attacks.activity import Activity
from lab.emulator.endpoints import Endpoints

Prerequisites = dict[str, Any]


class AttackMapping(BaseModel):
    model_config = ConfigDict(extra="forbid")
    technique_id: str = Field(pattern=r"^T\d{4}(\.\d{3})?$")
    technique_name: str
    tactic: str = Field(pattern=r"^TA\d{4}$")
    tactic_name: str


class Rate(BaseModel):
    """How often a company does a benign action, per calendar day, and where that comes from."""

    model_config = ConfigDict(extra="forbid")
    value: float = Field(gt=0)
    status: Literal["documented", "measured", "assumption"]
    source: str = Field(min_length=1)


class TechniqueMetadata(BaseModel):
    """The technique's description, ATT&CK mapping, signals and detection guidance.

    ``kind: benign`` marks a benign action: legitimate administration that makes the very calls the
    detections watch, run through the same trials so that false alerts and harmful fixes are counted
    (its ``is_remediated`` means the legitimate work was broken). Only a benign action may go
    without an ATT&CK mapping; it is not part of the attack catalog (``techniques: all``). A benign
    action states ``rate_per_day``, how often a company does it (the false-alarm rates per day scale
    its per-trial counts by it); an attack has none."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z0-9]+(-[a-z0-9]+)+$")
    title: str
    kind: Literal["attack", "benign"] = "attack"
    mitre_attack: AttackMapping | None = None
    severity: Literal["low", "medium", "high", "critical"]
    description: str
    signals: list[str]
    # The signal, and each architecture's own paths (cron, Config, CIS filters, GuardDuty).
    detection: str
    # The shared list's detections (lab/detections/catalog.yaml) the detonation's calls match, which
    # both architectures deploy (verified on the emulator: a test detonates each technique and holds
    # its calls to every detection's event pattern).
    shared_detections: list[str] = Field(default_factory=list)
    remediation: str
    runbook: str | None = None
    idempotent: bool
    references: list[str]
    activity: Activity | None = None  # network / host activity while active (activity techniques)
    # Prowler checks that FAIL on what the detonation leaves (verified on the emulator: a test scans
    # before, after and after the revert); the CSPM detection path scans these.
    cspm_checks: list[str] = Field(default_factory=list)
    rate_per_day: Rate | None = None  # benign actions only: how often a company does it

    @model_validator(mode="after")
    def _attacks_are_mapped(self) -> TechniqueMetadata:
        if self.kind == "attack" and self.mitre_attack is None:
            raise ValueError(
                f"{self.id}: an attack needs mitre_attack (only kind: benign may omit it)"
            )
        if (self.kind == "benign") != (self.rate_per_day is not None):
            raise ValueError(
                f"{self.id}: a benign action states rate_per_day (how often a company does it); "
                "an attack does not"
            )
        return self


class Technique(ABC):
    """One attack technique. Subclasses live in ``techniques/<id>/`` beside ``metadata.yaml``.

    Most techniques leave state in the account (an open rule, a public bucket) and ``is_remediated``
    reads it back. Activity techniques (a brute force, a scan, stolen credentials in use) leave no
    state of their own: ``detonate`` marks the activity as going on in the prerequisites, the
    containment a responder applies (a deny rule, an isolated instance, revoked sessions) is read
    back from the account, and ``revert`` means the attacker stops.
    """

    folder: ClassVar[Path]
    # Acts as the account's root user: on a real account it needs the root user's credentials
    # (a named profile), never the lab's.
    needs_root: ClassVar[bool] = False

    def __init__(self) -> None:
        self.metadata = TechniqueMetadata.model_validate(
            yaml.safe_load((self.folder / "metadata.yaml").read_text())
        )

    @property
    def id(self) -> str:
        return self.metadata.id

    @abstractmethod
    def warm_up(self, endpoints: Endpoints) -> Prerequisites:
        """Create what the attack needs (lab-tagged), as the harness; return their ids."""

    @abstractmethod
    def detonate(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        """Perform the attack, as the attacker."""

    @abstractmethod
    def is_remediated(self, endpoints: Endpoints, prerequisites: Prerequisites) -> bool:
        """Read the real state back: is the effect of the attack gone?"""

    @abstractmethod
    def revert(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        """Undo the attack if nobody did (idempotent)."""

    def network(self, endpoints: Endpoints, prerequisites: Prerequisites) -> Callable[[int], bool]:
        """Activity techniques: read the network back now; the answer says whether it lets the
        activity's connection to a port through."""
        return lambda port: True

    @abstractmethod
    def cleanup(self, endpoints: Endpoints, prerequisites: Prerequisites) -> None:
        """Delete the prerequisites."""
