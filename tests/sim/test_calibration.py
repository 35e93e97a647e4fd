import numpy as np
import pytest
from pydantic import ValidationError

from lab.sim.calibration import Calibration, Distribution


def test_default_calibration_loads_and_every_figure_has_a_source():
    calibration = Calibration.load()
    assert calibration.stages
    for name, stage in calibration.stages.items():
        assert stage.source.strip(), name
    for profile in calibration.operators.values():
        assert profile.read_alert_s.source.strip()
    assert calibration.constant("lambda_async_retry_delays_s") == [60, 120]


def test_lognormal_median_and_p90_are_what_the_file_says():
    stage = Distribution(
        distribution="lognormal", median=30, p90=120, status="assumption", source="t"
    )
    rng = np.random.default_rng(7)
    draws = np.array([stage.sample(rng) for _ in range(20_000)])
    assert np.median(draws) == pytest.approx(30, rel=0.05)
    assert np.quantile(draws, 0.9) == pytest.approx(120, rel=0.07)


def test_missing_parameter_is_rejected():
    with pytest.raises(ValidationError, match="needs"):
        Distribution(distribution="uniform", low=1, status="assumption", source="t")


def test_digest_changes_with_content():
    calibration = Calibration.load()
    changed = calibration.model_copy(deep=True)
    changed.stages["sns_email_delivery_s"].median = 9
    assert calibration.digest != changed.digest


def test_missing_or_malformed_calibration_is_one_clear_error(tmp_path):
    from lab.sim.calibration import CalibrationError

    with pytest.raises(CalibrationError, match="not found"):
        Calibration.load(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("stages: [unclosed")
    with pytest.raises(CalibrationError, match="not valid YAML"):
        Calibration.load(bad)


def test_availability_waits_for_office_hours_and_mail_checks():
    from datetime import UTC, datetime

    from lab.sim.calibration import Calibration

    calibration = Calibration.load()
    office = calibration.operator("business-hours").availability
    student = calibration.operator("student-lab").availability
    monday = datetime(2026, 1, 5, tzinfo=UTC)
    hour = 3600.0
    assert office.wait_s(monday.replace(hour=10)) == 0
    assert office.wait_s(monday.replace(hour=8)) == 1 * hour
    assert office.wait_s(monday.replace(hour=18)) == 15 * hour  # Tuesday 09:00
    assert office.wait_s(monday.replace(day=9, hour=18)) == 63 * hour  # Friday evening -> Monday
    assert student.wait_s(monday.replace(hour=10)) == 8 * hour  # the 18:00 check
    assert student.wait_s(monday.replace(hour=9)) == 0
    assert calibration.operator("soc-24x7").availability.wait_s(monday.replace(hour=3)) == 0


def test_bad_availability_is_rejected(tmp_path):
    import pytest
    import yaml

    from lab.sim.calibration import DEFAULT_CALIBRATION, Calibration, CalibrationError

    raw = yaml.safe_load(DEFAULT_CALIBRATION.read_text())
    raw["operators"]["student-lab"]["availability"]["times"] = ["25:00"]
    path = tmp_path / "calibration.yaml"
    path.write_text(yaml.safe_dump(raw))
    with pytest.raises(CalibrationError, match="HH:MM"):
        Calibration.load(path)


def test_a_model_constant_outside_its_choices_is_refused():
    raw = Calibration.load().model_dump(mode="json")
    raw["constants"]["guardduty_anomaly_model"]["value"] = "baseline"
    with pytest.raises(ValidationError, match="guardduty_anomaly_model"):
        Calibration.model_validate(raw)
    raw["constants"]["guardduty_anomaly_model"]["value"] = "first-call"
    assert Calibration.model_validate(raw).constant("guardduty_anomaly_model") == "first-call"
