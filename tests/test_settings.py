"""Every LAB_* variable the lab reads is a field of lab/settings.py's Settings, read through it."""

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from lab import settings
from lab.paths import REPO_ROOT

# Set by the lab for the programs it starts (documented in docs/configuration.md), read there.
SET_FOR_CHILDREN = {
    "LAB_AWS_CLI_SOCKET",
    "LAB_AWS_CLI_REAL",
    "LAB_EMULATOR_HOST",
    "LAB_LOAD_TECHNIQUES",
    "LAB_RUN_ID",
    "LAB_NOW",
    "LAB_DETECTOR_STATE_DIR",
    "LAB_STATE_FILE",
}


def test_nothing_but_settings_reads_a_lab_variable_from_the_environment():
    direct = re.compile(r"os\.environ(?:\.get\(|\[)\s*\"(LAB_[A-Z_]+)\"")
    for path in (REPO_ROOT / "lab").rglob("*.py"):
        if path.name == "settings.py":
            continue
        for name in direct.findall(path.read_text()):
            assert name in SET_FOR_CHILDREN, f"{path}: reads {name} without lab/settings.py"


def test_every_named_variable_is_declared_with_its_meaning():
    declared = {s.name for s in settings.SETTINGS}
    named = set()
    for path in (REPO_ROOT / "lab").rglob("*.py"):
        named |= set(re.findall(r"\"(LAB_[A-Z_]+)\"", path.read_text()))
    assert named - SET_FOR_CHILDREN <= declared
    assert all(s.meaning and s.default for s in settings.SETTINGS)


def test_switches_are_on_unless_zero_and_values_are_read_when_asked(monkeypatch):
    monkeypatch.delenv("LAB_CRON_SKIP", raising=False)
    assert settings.current().cron_skip
    monkeypatch.setenv("LAB_CRON_SKIP", "0")
    assert not settings.current().cron_skip
    monkeypatch.setenv("LAB_CRON_SKIP", "")
    assert settings.current().cron_skip
    monkeypatch.setenv("LAB_SNAPSHOTS", "")
    assert settings.current().snapshots is None
    monkeypatch.setenv("LAB_CONFIG", "~/elsewhere.yaml")
    assert settings.current().config == Path("~/elsewhere.yaml")


def test_the_settings_are_typed_frozen_and_each_field_names_its_variable():
    current = settings.current()
    with pytest.raises(ValidationError):
        current.cron_skip = False  # type: ignore[misc]
    names = [settings.Settings.variable(field) for field in settings.Settings.model_fields]
    assert names == [s.name for s in settings.SETTINGS]
    assert all(name.startswith("LAB_") for name in names)
    assert settings.Settings.from_environ({"LAB_LAMBDA_FORK": "0"}).lambda_fork is False
