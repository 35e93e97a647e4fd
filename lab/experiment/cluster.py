"""A run's units on a Dask cluster (``lab run --cluster``): the same units the local engine runs
in processes (an architecture's worker, or a share of the manual baseline's techniques, see
``runner.split_plan``), submitted to a Dask scheduler; their messages (trials, status) come back
through a Dask queue as they happen, so trials are appended one by one, exactly as locally.

Each unit checks that the worker runs what the run expects (``Stamp``: the lab's version, its git
commit, the calibration's digest) and refuses otherwise. A unit whose worker died is run again
elsewhere by the scheduler; the trials it had already sent are recognised by the run's store and
not appended twice (trials are seeded one by one, so the repeat gives the same rows).

Written on Dask's public API (``distributed.Client``, ``LocalCluster``, ``Queue``); nothing here
schedules by hand."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

from lab.experiment.manifest import git_commit
from lab.experiment.plan import RunPlan, WorkUnit, lock_digest
from lab.experiment.worker import Message, run_unit
from lab.sim.calibration import Calibration

LOCAL_PREFIX = "local"
QUEUE_WAIT_S = 1.0


class ClusterError(RuntimeError):
    """The cluster cannot be reached, or a worker cannot run the run's units."""


@dataclass(frozen=True)
class Stamp:
    """What a worker must run to take a unit: the same lab, commit, calibration and installed set
    (the lock's digest, and no package that departs from it)."""

    lab_version: str
    commit: str
    calibration_digest: str
    lock: str

    @classmethod
    def here(cls, calibration_text: str) -> Stamp:
        """What this process runs, with ``calibration_text`` read as this lab reads it."""
        return cls.of(Calibration.parse(calibration_text).digest, lock_digest())

    @classmethod
    def expected(cls, plan: RunPlan) -> Stamp:
        """What the plan's units need: this lab and commit, the plan's calibration and lock."""
        return cls.of(plan.calibration_digest, plan.lock_digest)

    @classmethod
    def of(cls, calibration_digest: str, lock: str) -> Stamp:
        found = git_commit()
        commit = f"{found['commit']}{'+dirty' if found['dirty'] else ''}"
        return cls(version("aws-serverless-security-monitoring"), commit, calibration_digest, lock)

    def mismatch(self, other: Stamp) -> str | None:
        """Why a worker stamped ``other`` cannot run units stamped ``self`` (None: it can)."""
        differ = [
            f"{field} {getattr(other, field)!r} (the run's: {getattr(self, field)!r})"
            for field in ("lab_version", "commit", "calibration_digest", "lock")
            if getattr(self, field) != getattr(other, field)
        ]
        return "the worker runs " + ", ".join(differ) if differ else None


def parse_address(address: str) -> tuple[str, int | None]:
    """``local`` / ``local:N`` (a LocalCluster of N workers on this machine) or a scheduler's
    ``tcp://HOST:PORT``; anything else is refused with the forms allowed."""
    if address == LOCAL_PREFIX or address.startswith(f"{LOCAL_PREFIX}:"):
        count = address.partition(":")[2]
        if count and (not count.isdigit() or int(count) < 1):
            raise ClusterError(f"--cluster {address!r}: local:N needs N >= 1 workers")
        return LOCAL_PREFIX, int(count) if count else None
    if address.startswith(("tcp://", "tls://")) and ":" in address.split("://", 1)[1]:
        return address, None
    raise ClusterError(
        f"--cluster {address!r}: give local, local:N (workers on this machine) or a scheduler's "
        "tcp://HOST:PORT"
    )


@contextlib.contextmanager
def connect(address: str) -> Iterator[Any]:
    """A Dask client for ``address`` (see ``parse_address``); a LocalCluster is started here and
    closed afterwards. Workers take one unit at a time: each unit runs its own emulator, and moto's
    state is per process."""
    import dask
    from distributed import Client, LocalCluster

    where, workers = parse_address(address)
    # Units start subprocesses of their own (terraform, the aws CLI, fork servers).
    with dask.config.set({"distributed.worker.daemon": False}):
        if where == LOCAL_PREFIX:
            cluster = LocalCluster(
                n_workers=workers or 2,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            )
            try:
                with Client(cluster) as client:
                    yield client
            finally:
                cluster.close()
            return
        try:
            client = Client(where, timeout="10s")
        except OSError as exc:
            raise ClusterError(f"no Dask scheduler answers at {where}: {exc}") from exc
        with client:
            yield client


def cluster_workers(client: Any) -> int:
    """How many units the cluster runs at once (its workers' threads)."""
    return max(1, sum(w["nthreads"] for w in client.scheduler_info()["workers"].values()))


def _unit(unit: WorkUnit, stamp: Stamp, queue_name: str) -> str:
    """One unit on a worker: check the stamp, then run the unit's trials, each message put on the
    run's queue as it happens (its scratch files in a folder of the worker's own)."""
    import tempfile

    from distributed import Queue, get_worker

    if get_worker().state.nthreads != 1:
        raise ClusterError(
            "a lab worker runs one unit at a time: start it with `dask worker ... --nthreads 1`"
        )
    problem = stamp.mismatch(Stamp.here(unit.plan.calibration_text))
    if problem:
        raise ClusterError(f"worker refused the unit: {problem}")
    queue = Queue(queue_name)
    with tempfile.TemporaryDirectory(prefix="lab-unit-") as scratch:
        run_unit(unit.moved(Path(scratch) / unit.run_id), emit=queue.put)
    return unit.worker


def run_units(
    client: Any,
    units: list[WorkUnit],
    handle: Callable[[Message], None],
    errors: list[str],
) -> None:
    """Run ``units`` (of one plan) on the cluster; every message goes to ``handle`` as it arrives;
    a failed unit's traceback goes to ``errors``."""
    from distributed import Queue, wait

    if not units:
        return
    stamp = Stamp.expected(units[0].plan)
    name = f"lab-{uuid.uuid4().hex}"
    queue = Queue(name, client=client)
    futures = [
        client.submit(_unit, unit, stamp, name, key=f"{unit.worker}-{name}", pure=False)
        for unit in units
    ]

    def drain() -> None:
        # batch=True answers at once with what is waiting (a get with a timeout makes the
        # scheduler log a TimeoutError each time it expires).
        for message in queue.get(batch=True):
            handle(message)

    while not all(f.done() for f in futures):
        drain()
        time.sleep(QUEUE_WAIT_S)
    wait(futures)
    drain()
    for unit, future in zip(units, futures, strict=True):
        if future.status == "error" and not any(m.startswith(f"{unit.worker}:") for m in errors):
            exc = future.exception()
            errors.append(f"{unit.worker}: {type(exc).__name__}: {exc}")
