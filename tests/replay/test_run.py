"""``lab replay``: CloudTrail records from another account through a deployed architecture."""

import csv
import gzip
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from lab.replay.run import ReplayInputError, as_replayed, read_records

FIXTURE = Path(__file__).parents[1] / "fixtures" / "cloudtrail" / "incident.json"


def _records() -> list[dict]:
    return json.loads(FIXTURE.read_text())["Records"]


def test_every_export_shape_reads_the_same_records(tmp_path):
    records = _records()
    ids = sorted(r["eventID"] for r in records)
    trail_file = tmp_path / "111122223333_CloudTrail_eu-west-1_20261129T1000Z_abc.json.gz"
    trail_file.write_bytes(gzip.compress(json.dumps({"Records": records}).encode()))
    as_list = tmp_path / "list.json"
    as_list.write_text(json.dumps(records))
    lines = tmp_path / "lines.jsonl"
    lines.write_text("\n".join(json.dumps(r) for r in records) + "\n")
    lake = tmp_path / "lake.json"  # CloudTrail Lake GetQueryResults, SELECT eventJson
    lake.write_text(
        json.dumps({"QueryResultRows": [[{"eventJson": json.dumps(r)}] for r in records]})
    )
    athena = tmp_path / "athena.jsonl"  # an Athena export, one row per line
    athena.write_text("\n".join(json.dumps({"eventjson": json.dumps(r)}) for r in records))
    lookup = tmp_path / "lookup.json"  # aws cloudtrail lookup-events
    lookup.write_text(json.dumps({"Events": [{"CloudTrailEvent": json.dumps(r)} for r in records]}))
    for path in (trail_file, as_list, lines, lake, athena, lookup):
        found = read_records([path])
        assert sorted(r["eventID"] for r in found) == ids, path.name
        assert [r["eventTime"] for r in found] == sorted(r["eventTime"] for r in found)


def test_a_record_keeps_its_own_fields_and_gains_only_what_an_export_left_out():
    record = {k: v for k, v in _records()[1].items() if k != "recipientAccountId"}
    replayed = as_replayed(record)
    assert replayed["requestParameters"]["ipPermissions"]["items"][0]["fromPort"] == 22
    assert replayed["recipientAccountId"] == "111122223333"  # from the identity
    assert replayed["awsRegion"] == "eu-west-1"
    assert (
        as_replayed({**record, "eventName": "DescribeVpcs", "readOnly": None})["readOnly"] is None
    )
    assert as_replayed({k: v for k, v in record.items() if k != "readOnly"})["readOnly"] is False


@pytest.mark.parametrize(
    ("content", "why"),
    [
        (b"", "empty"),
        (b'{"Records": [{"eventName": "X"}]}', "no eventTime, eventSource"),
        (b'{"Records": []}', "no CloudTrail records"),
        (b'{"a": 1}\nnot json\n', "line 2 is not JSON"),
        (b"\x1f\x8b not gzip", "not CloudTrail records"),
    ],
)
def test_an_unreadable_file_is_one_error_naming_it(tmp_path, content, why):
    path = tmp_path / "bad.json"
    path.write_bytes(content)
    with pytest.raises(ReplayInputError, match=why) as error:
        read_records([FIXTURE, path])
    assert str(path) in str(error.value)


def _lab(*args):
    return subprocess.run(
        [sys.executable, "-m", "lab.cli", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
        timeout=900,
    )


def test_bad_input_writes_nothing(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]")
    result = _lab("replay", str(FIXTURE), str(bad), "--out", str(tmp_path / "out"))
    assert result.returncode == 2 and str(bad) in result.stderr
    unknown = _lab("replay", str(FIXTURE), "-a", "hybrid", "--out", str(tmp_path / "out"))
    assert unknown.returncode == 2 and "unknown architecture" in unknown.stderr
    region = _lab("replay", str(FIXTURE), "--region", "eu-wst-1", "--out", str(tmp_path / "out"))
    assert region.returncode == 2 and "unknown region eu-wst-1" in region.stderr
    assert not (tmp_path / "out").exists()


def test_replay_through_the_manual_baseline(tmp_path):
    """A trail being stopped in another account reaches the baseline's detectors (its trail's log
    group, CIS filter and alarm; GuardDuty); a read is seen by nothing. One row per record, with the manifest."""
    records = [r for r in _records() if r["eventName"] in ("DescribeInstances", "StopLogging")]
    logs = tmp_path / "two.json"
    logs.write_text(json.dumps({"Records": records}))
    result = _lab("replay", str(logs), "-a", "manual", "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr[-3000:]
    (run_dir,) = (tmp_path / "out" / "replay").iterdir()
    rows = {r["event_name"]: r for r in csv.DictReader((run_dir / "replay.csv").open())}
    assert set(rows) == {"DescribeInstances", "StopLogging"}
    assert (
        rows["DescribeInstances"]["detected"] == "false" and rows["DescribeInstances"]["path"] == ""
    )
    stop = rows["StopLogging"]
    assert stop["detected"] == "true" and stop["architecture"] == "manual"
    # The shared list's rule, its CIS filter and alarm, or GuardDuty, whichever is first.
    assert stop["path"] in (
        "eventbridge:lab-manual-cloudtrail-tampering",
        "alarm:lab-manual-cis-cloudtrail-changes",
        "guardduty:Stealth:IAMUser/CloudTrailLoggingDisabled",
    )
    assert 0 < float(stop["detect_s"]) < 900
    assert stop["event_id"] == "e0000006-aaaa-bbbb-cccc-dddddddddddd"
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["kind"] == "replay" and manifest["records"] == 2
    assert "commit" in manifest and manifest["architectures"] == ["manual"]
