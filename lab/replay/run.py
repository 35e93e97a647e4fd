"""``lab replay``: real CloudTrail records through a deployed architecture's detection pipeline.

A detection engineer's question: would this stack have caught yesterday's incident? The records
(a trail's S3 log files, a ``{"Records": [...]}`` document, a JSON list, JSON lines, CloudTrail Lake
or Athena exports with the event in an ``eventJson`` column, LookupEvents output) are read and
checked first: a file that cannot be read is one error naming it, and nothing is written.

Each architecture is deployed into an embedded emulated account; each record is then fed, on its
own, into the account's simulated services exactly where the emulator's own records enter them
(``ApiCallRecorder.replay``): CloudTrail to EventBridge rules and their targets, to the trail's log
group with its metric filters and alarms, GuardDuty's CloudTrail-based findings, Security Hub's
imports. The account's clock is the record's ``eventTime``. One record at a time, so that the first
detection a row names is that record's (a threshold over several records is not evaluated: the
stack's CloudTrail rules and CIS filters fire on one event). The records refer to accounts,
regions and resources the emulated account does not have: rules and filters match them all the
same; a response that needs the resource fails, as it would against another account.
"""

from __future__ import annotations

import csv
import gzip
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from lab.architectures import snapshot
from lab.architectures.registry import build
from lab.emulator import EmulatorServer
from lab.experiment.manifest import git_commit, versions, write_manifest
from lab.paths import RUNBOOKS_DIR
from lab.seeds import Stream, stream
from lab.sim.calibration import Calibration
from lab.sim.kernel import Simulation
from lab.sim.services import start_services

ROW_FIELDS = (
    "architecture",
    "event_id",
    "event_name",
    "event_source",
    "detected",
    "path",
    "detect_s",
)
SETTLE_S = 60.0  # the services run this long before the record arrives
_READ_ONLY_PREFIXES = ("Describe", "Get", "List", "Lookup", "Head")


class ReplayInputError(ValueError):
    """A log file that cannot be read as CloudTrail records (the message names it)."""


@dataclass(frozen=True)
class ReplayRow:
    architecture: str
    event_id: str
    event_name: str
    event_source: str
    detected: bool
    path: str
    detect_s: float | None

    def as_csv(self) -> dict[str, Any]:
        return {
            **self.__dict__,
            "detected": str(self.detected).lower(),
            "detect_s": "" if self.detect_s is None else round(self.detect_s, 3),
        }


# -- reading ---------------------------------------------------------------------------------------
def _documents(path: Path) -> Iterator[Any]:
    """The JSON values of one file: one document, or one per line (JSON lines)."""
    raw = path.read_bytes()
    if path.suffix == ".gz" or raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    text = raw.decode("utf-8-sig").strip()
    if not text:
        raise ValueError("the file is empty")
    try:
        yield json.loads(text)
        return
    except json.JSONDecodeError:
        pass
    for number, line in enumerate(text.splitlines(), start=1):
        if line.strip():
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"line {number} is not JSON ({exc.msg})") from exc


def _records_of(document: Any) -> Iterator[Any]:
    """The CloudTrail records inside one JSON value, whatever the export's shape."""
    if isinstance(document, list):
        for item in document:
            yield from _records_of(item)
        return
    if not isinstance(document, dict):
        raise ValueError(f"a {type(document).__name__} where a record was expected")
    if "Records" in document:  # a trail's log file
        yield from _records_of(document["Records"])
    elif "Events" in document:  # LookupEvents output
        for event in document["Events"]:
            yield json.loads(event["CloudTrailEvent"])
    elif "QueryResultRows" in document:  # CloudTrail Lake GetQueryResults
        for row in document["QueryResultRows"]:
            for column in row:
                yield from _records_of(column)
    else:
        embedded = next((document[k] for k in document if k.lower() == "eventjson"), None)
        yield json.loads(embedded) if isinstance(embedded, str) else document


def read_records(paths: list[Path]) -> list[dict[str, Any]]:
    """Every record of ``paths``, oldest first; ``ReplayInputError`` names a file that cannot be
    read or holds something that is not a CloudTrail record."""
    records = []
    for path in paths:
        try:
            found = [r for d in _documents(path) for r in _records_of(d)]
            for index, record in enumerate(found):
                missing = [k for k in ("eventTime", "eventName", "eventSource") if k not in record]
                if missing:
                    raise ValueError(f"record {index + 1} has no {', '.join(missing)}")
                _event_time(record)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ReplayInputError(f"{path}: not CloudTrail records: {exc}") from exc
        if not found:
            raise ReplayInputError(f"{path}: no CloudTrail records in it")
        records += found
    return sorted(records, key=_event_time)


def _event_time(record: dict[str, Any]) -> datetime:
    moment = datetime.fromisoformat(str(record["eventTime"]).replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def as_replayed(record: dict[str, Any]) -> dict[str, Any]:
    """The record with the fields the lab's services read, filled where an export left them out
    (as CloudTrail sets them: region, recipient account, read-only, management event)."""
    identity = record.get("userIdentity") or {}
    name = str(record["eventName"])
    return {
        "awsRegion": "us-east-1",
        "recipientAccountId": identity.get("accountId", ""),
        "readOnly": name.startswith(_READ_ONLY_PREFIXES),
        "managementEvent": True,
        "eventCategory": "Management",
        "requestParameters": None,
        "responseElements": None,
        "sourceIPAddress": "",
        "userAgent": "",
        **record,
        "userIdentity": identity,
    }


def record_regions(records: list[dict[str, Any]]) -> frozenset[str]:
    """Every region the records were made in (``awsRegion``, us-east-1 when an export left it out)."""
    return frozenset(as_replayed(r)["awsRegion"] for r in records)


# -- replaying -------------------------------------------------------------------------------------
def replay_architecture(
    architecture: str,
    records: list[dict[str, Any]],
    workdir: Path,
    calibration: Calibration,
    window_s: float,
    seed: int = 0,
    progress: Callable[[], None] = lambda: None,
    regions: frozenset[str] | None = None,
) -> list[ReplayRow]:
    """Deploy ``architecture`` into a fresh emulated account and replay each record through it
    (``regions``: where its EventBridge rules are deployed; default every region the records
    name, as a stack deployed in each of them; a record of another region reaches none)."""
    regions = regions or record_regions(records)
    rows = []
    with EmulatorServer() as emulator:
        emulator.reset()  # moto's state is the process's: a fresh account per architecture
        snapshot.deploy(
            build(architecture, run_id="replay"),
            emulator,
            workdir / "deploy",
            {"account": "reset"},
            emulator.reset,
        )
        for index, record in enumerate(records):
            rows.append(
                _replay_one(
                    emulator,
                    architecture,
                    record,
                    workdir,
                    calibration,
                    window_s,
                    seed,
                    index,
                    regions,
                )
            )
            progress()
    return rows


def _replay_one(
    emulator: EmulatorServer,
    architecture: str,
    record: dict[str, Any],
    workdir: Path,
    calibration: Calibration,
    window_s: float,
    seed: int,
    index: int,
    regions: frozenset[str],
) -> ReplayRow:
    rng = stream(seed, Stream.REPLAY, architecture, index)
    epoch = _event_time(record) - timedelta(seconds=SETTLE_S)
    sim = Simulation(emulator.endpoints, emulator.recorder, calibration, rng, epoch)
    services = start_services(
        sim,
        workdir / "services",
        calibration.operator("soc-24x7"),
        RUNBOOKS_DIR,
        person_reads_mail=False,  # detection only: nobody acts on the alerts
        regions=regions,
    )

    def arrive():
        yield sim.env.timeout(SETTLE_S)
        emulator.recorder.replay(as_replayed(record))
        sim.pump()

    sim.env.process(arrive())
    try:
        sim.env.run(until=SETTLE_S + window_s)
    finally:
        services.close()
    first = next((e for e in sim.timeline if e.get("detection")), None)
    return ReplayRow(
        architecture,
        str(record.get("eventID", "")),
        str(record["eventName"]),
        str(record["eventSource"]),
        first is not None,
        first["source"] if first else "",
        first["t_s"] - SETTLE_S if first else None,
    )


def write_rows(rows: list[ReplayRow], path: Path) -> None:
    """``replay.csv``: one row per record and architecture."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=ROW_FIELDS)
        writer.writeheader()
        for row in rows:
            writer.writerow(row.as_csv())


def replay_run(
    logs: list[Path],
    records: list[dict[str, Any]],
    architectures: list[str],
    out: Path,
    calibration: Calibration,
    window_s: float,
    regions: frozenset[str],
    starting: Callable[[str], None] = lambda _: None,
    progress: Callable[[], None] = lambda: None,
) -> tuple[Path, list[ReplayRow]]:
    """Replay ``records`` (read from ``logs``) through each architecture into a new folder of
    ``out/replay/``: ``replay.csv`` (a row per record and architecture) and the manifest; return
    the folder and the rows (``starting``: told each architecture's name before its deploy)."""
    run_dir = out / "replay" / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    rows: list[ReplayRow] = []
    for name in architectures:
        starting(name)
        rows += replay_architecture(
            name,
            records,
            run_dir / "work" / name,
            calibration,
            window_s,
            progress=progress,
            regions=regions,
        )
    write_rows(rows, run_dir / "replay.csv")
    write_manifest(
        run_dir / "manifest.json",
        {
            **versions(),
            **git_commit(),
            "kind": "replay",
            "logs": [str(p) for p in logs],
            "records": len(records),
            "architectures": architectures,
            "window_s": window_s,
            "regions": sorted(regions),
            "calibration": calibration.digest,
        },
    )
    return run_dir, rows
