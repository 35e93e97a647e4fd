"""Every benign action states how often a company does it, as a number with its status and source;
the technique schema refuses a benign action without one and an attack with one."""

import pytest
import yaml
from pydantic import ValidationError

from lab.attacks.base import TechniqueMetadata
from lab.attacks.registry import benign_actions, techniques


@pytest.mark.parametrize("action", sorted(benign_actions()))
def test_every_benign_action_has_a_labelled_rate_per_day(action):
    rate = benign_actions()[action].metadata.rate_per_day
    assert rate is not None and rate.value > 0
    assert rate.status == "assumption" and len(rate.source) > 40


def test_no_attack_states_a_rate():
    assert all(t.metadata.rate_per_day is None for t in techniques().values())


def _metadata(folder, **changes):
    data = yaml.safe_load((folder / "metadata.yaml").read_text())
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_schema_refuses_a_benign_action_without_rate_and_an_attack_with_one():
    benign = next(iter(benign_actions().values()))
    with pytest.raises(ValidationError, match="rate_per_day"):
        TechniqueMetadata.model_validate(_metadata(benign.folder, rate_per_day=None))
    attack = next(iter(techniques().values()))
    rate = {"value": 1.0, "status": "assumption", "source": "a guess"}
    with pytest.raises(ValidationError, match="rate_per_day"):
        TechniqueMetadata.model_validate(_metadata(attack.folder, rate_per_day=rate))
    with pytest.raises(ValidationError):
        TechniqueMetadata.model_validate(
            _metadata(benign.folder, rate_per_day={**rate, "value": 0})
        )
