"""The one technique lifecycle runner, after Stratus Red Team's: cold -> warm (prerequisites made)
-> detonated -> warm (reverted) -> cold (cleaned up), with the state saved where a later command
(``lab attack ... --revert``) or a crashed run can pick it up. ``lab run``'s loop, ``lab attack``
and the load attacker all go through it; nobody calls a technique's warm_up / cleanup by hand.

Every resource made while a run's lifecycle is active carries that run's ``lab:run-id`` tag
(``lab.attacks.resources.lab_tags``), so ``lab cleanup --run RUN_ID`` finds it after a crash.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from lab.attacks.base import Prerequisites, Technique
from lab.attacks.resources import tagged_for_run
from lab.emulator.endpoints import Endpoints


class Stage(StrEnum):
    COLD = "cold"  # nothing of the technique exists
    WARM = "warm"  # prerequisites exist, the attack is not in effect
    DETONATED = "detonated"  # the attack was made (and may still be in effect)


class LifecycleError(RuntimeError):
    """A step asked for in a stage that does not allow it (e.g. revert before any warm-up)."""


@dataclass
class TechniqueRun:
    """One technique against one account. ``state_file``: where stage and prerequisites are saved
    after every step (``None``: kept in memory only)."""

    technique: Technique
    endpoints: Endpoints
    run_id: str | None = None
    state_file: Path | None = None
    stage: Stage = Stage.COLD
    prerequisites: Prerequisites = field(default_factory=dict)

    @classmethod
    def resume(
        cls,
        technique: Technique,
        endpoints: Endpoints,
        state_dir: Path,
        run_id: str | None = None,
    ) -> TechniqueRun:
        """The technique's lifecycle as saved under ``state_dir`` (cold if nothing was saved)."""
        path = Path(state_dir) / f"{technique.id}.json"
        run = cls(technique, endpoints, run_id, path)
        if path.exists():
            saved = json.loads(path.read_text())
            run.stage = Stage(saved["stage"])
            run.prerequisites = saved["prerequisites"]
            run.run_id = saved.get("run_id") or run_id
        return run

    @property
    def id(self) -> str:
        return self.technique.id

    # -- steps ------------------------------------------------------------------------------------
    def warm_up(self) -> Prerequisites:
        """Make the prerequisites (once; a warm technique keeps its own)."""
        if self.stage is Stage.COLD:
            with tagged_for_run(self.run_id):
                self.prerequisites = self.technique.warm_up(self.endpoints)
            self._save(Stage.WARM)
        return self.prerequisites

    def detonate(self) -> None:
        """Make the attack (warming up first if cold). The stage is ``detonated`` from the first
        attempt on, so a detonation that failed half-way is still reverted."""
        self.warm_up()
        self._save(Stage.DETONATED)
        with tagged_for_run(self.run_id):
            self.technique.detonate(self.endpoints, self.prerequisites)
        self._save(Stage.DETONATED)  # with what the detonation noted in the prerequisites

    def is_remediated(self) -> bool:
        """The account read back: is the attack's effect gone?"""
        return self.technique.is_remediated(self.endpoints, self.prerequisites)

    def revert(self) -> None:
        """Undo the attack if anybody left it (idempotent, as every technique's revert is)."""
        if self.stage is Stage.COLD:
            raise LifecycleError(f"{self.id} is cold: nothing to revert")
        self.technique.revert(self.endpoints, self.prerequisites)
        self._save(Stage.WARM)

    def cleanup(self) -> None:
        """Revert if detonated, then delete the prerequisites."""
        if self.stage is Stage.DETONATED:
            self.revert()
        if self.stage is Stage.WARM:
            self.technique.cleanup(self.endpoints, self.prerequisites)
        self.prerequisites = {}
        self._save(Stage.COLD)

    @contextmanager
    def warm(self) -> Iterator[TechniqueRun]:
        """Warm up for the block (its trials), clean up after it whatever happens."""
        self.warm_up()
        try:
            yield self
        finally:
            self.cleanup()

    # -- saved state ------------------------------------------------------------------------------
    def _save(self, stage: Stage) -> None:
        self.stage = stage
        if self.state_file is None:
            return
        if stage is Stage.COLD:
            self.state_file.unlink(missing_ok=True)
            return
        self.state_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.state_file.with_suffix(".json.tmp")
        tmp.write_text(
            json.dumps(
                {
                    "technique": self.id,
                    "stage": stage.value,
                    "run_id": self.run_id,
                    "endpoint": self.endpoints.url,
                    "prerequisites": self.prerequisites,
                },
                indent=2,
                default=str,
            )
        )
        tmp.replace(self.state_file)
