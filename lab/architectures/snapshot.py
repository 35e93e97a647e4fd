"""A deployed architecture kept once and restored for every later deploy of the same recipe.

The first deploy of a recipe (the architecture's settings, the account's starting state, the code
and the lock that build it) runs for real while the emulator captures its requests
(``lab.emulator.capture``); the requests, the deploy's working folder (Terraform's state, the
manual baseline's state file) and its outputs are kept under ``LAB_SNAPSHOTS`` (default
``.work/snapshots``). A later deploy of the same recipe replays the requests into the fresh
account: the same resources with the same ids, since the emulator's ids depend on the requests'
content and not on when they came (``ids.py``), in seconds instead of the provider's minute of
waits. The run id, the emulator's address and the working folder differ from deploy to deploy: the kept
deploy is made with a stand-in run id that cannot be mistaken for other text (``SENTINEL``), and
every deploy, the first one included, is a replay with the stand-in, the address and the folder
rewritten to this deploy's. A replay that gets any other answer than the capture did is dropped and
the deploy runs for real.

An architecture opts in with ``replayable = True`` when its requests do not depend on the moments
they are sent: Terraform's provider waits for answers, not for clocks (the serverless stack, about
70 s of deploy, restored in about 1 s). The manual baseline's ``deploy.sh`` sleeps between calls
that the emulator refuses inside a propagation window (``compat.ec2``), and its deploy takes about
10 s anyway: it always deploys for real.

``LAB_SNAPSHOTS=0`` turns it off: every deploy runs for real (results are the same either way;
``tests/architectures/test_snapshot.py`` shows it).
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import hashlib
import json
import logging
import shutil
import tempfile
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from lab import settings
from lab.emulator.capture import ReplayMismatch, Request
from lab.emulator.server import EmulatorServer
from lab.paths import CLI_BASELINE_DIR, REPO_ROOT, TERRAFORM_DIR

log = logging.getLogger(__name__)
SNAPSHOTS_ENV = settings.Settings.variable("snapshots")
DEFAULT_DIR = REPO_ROOT / ".work" / "snapshots"
# The run id a kept deploy is made with: the lab writes run ids into tags only (terraform/'s
# default_tags), where this stand-in is rewritten to the run's own.
SENTINEL = "lab-kept-deploy-run-id-0f3c9a7e5b21"
_SOURCES = (REPO_ROOT / "lab", TERRAFORM_DIR, CLI_BASELINE_DIR)
_SKIPPED_PARTS = {"__pycache__", ".terraform", "build"}


def snapshots_dir() -> Path | None:
    """Where snapshots live (None: turned off with ``LAB_SNAPSHOTS=0``)."""
    configured = settings.current().snapshots or ""
    if configured.lower() in ("0", "off", "false", "no"):
        return None
    return Path(configured) if configured else DEFAULT_DIR


@cache
def source_digest() -> str:
    """What builds an architecture: the lab's code and data, terraform/, cli-baseline/, the lock,
    the terraform binary. A change to any of them makes every recipe new."""
    from lab.architectures.terraform_runner import TerraformError, find_terraform
    from lab.lock import LOCK_FILE

    digest = hashlib.sha256()
    for root in _SOURCES:
        for path in sorted(root.rglob("*")):
            if path.is_file() and not _SKIPPED_PARTS & set(path.relative_to(root).parts):
                digest.update(str(path.relative_to(REPO_ROOT)).encode() + b"\0")
                digest.update(path.read_bytes())
    if LOCK_FILE.is_file():
        digest.update(LOCK_FILE.read_bytes())
    try:
        binary = Path(find_terraform()).resolve()
        digest.update(f"{binary}:{binary.stat().st_size}:{binary.stat().st_mtime_ns}".encode())
    except (TerraformError, OSError):
        digest.update(b"no terraform")
    return digest.hexdigest()


def recipe(architecture: Any, start: dict[str, Any]) -> dict[str, Any] | None:
    """What a snapshot is of (None: the architecture is not replayable, see above)."""
    if not getattr(architecture, "replayable", False) or not dataclasses.is_dataclass(architecture):
        return None
    settings = dataclasses.asdict(architecture) | {"run_id": SENTINEL}
    return {
        "architecture": type(architecture).__name__,
        "settings": json.loads(json.dumps(settings, sort_keys=True, default=str)),
        "start": start,
        "source": source_digest(),
    }


def deploy(
    architecture: Any,
    emulator: EmulatorServer,
    workdir: Path,
    start: dict[str, Any],
    reopen: Callable[[], None],
) -> dict[str, Any]:
    """``architecture.deploy`` into ``emulator``'s account (in the starting state ``start`` names,
    which ``reopen`` restores), replayed from the kept deploy of its recipe (made now if none is)."""
    root = snapshots_dir()
    described = recipe(architecture, start) if root is not None else None
    if root is None or described is None:
        return architecture.deploy(emulator.endpoints, workdir)
    kept = root / hashlib.sha256(json.dumps(described, sort_keys=True).encode()).hexdigest()[:32]
    with _exclusive(kept):
        if not (kept / "snapshot.json").is_file():
            _make(kept, described, architecture, emulator, workdir)
            reopen()
            shutil.rmtree(workdir, ignore_errors=True)
        try:
            with _run_id_masked(emulator, architecture.run_id):
                return _restore(kept, emulator, workdir, architecture.run_id)
        except (ReplayMismatch, OSError, ValueError, KeyError) as exc:
            log.warning("the kept deploy %s does not replay (%s): deploying for real", kept, exc)
            shutil.rmtree(workdir, ignore_errors=True)
            shutil.rmtree(kept, ignore_errors=True)
    reopen()  # a half-restored account starts again, and the deploy runs for real
    return architecture.deploy(emulator.endpoints, workdir)


@contextlib.contextmanager
def _exclusive(kept: Path) -> Iterator[None]:
    """One process at a time makes, restores or drops a recipe's snapshot (the runs' workers and
    pytest's share one folder): a second worker waits for the first one's deploy instead of
    making its own, and never reads one snapshot's requests with another's folder. ``fcntl.flock``
    (POSIX, as the lab's fork servers are) is released by the kernel when a process dies."""
    kept.parent.mkdir(parents=True, exist_ok=True)
    with (kept.parent / f"{kept.name}.lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _make(
    kept: Path,
    described: dict[str, Any],
    architecture: Any,
    emulator: EmulatorServer,
    workdir: Path,
) -> None:
    """Deploy for real with the stand-in run id, capturing every request; keep it."""
    emulator.capture.start()
    try:
        with _run_id_masked(emulator, SENTINEL):
            outputs = dataclasses.replace(architecture, run_id=SENTINEL).deploy(
                emulator.endpoints, workdir
            )
    finally:
        requests = emulator.capture.stop()
    _keep(kept, described, requests, workdir, outputs, emulator)


@contextlib.contextmanager
def _run_id_masked(emulator: EmulatorServer, run_id: str) -> Iterator[None]:
    """Ids that do not depend on the run id while a deploy is made or replayed (as a run's account
    has them anyway, ``ids.mask``), so the stand-in's ids are the run's."""
    masks = emulator.ids.masks
    emulator.ids.mask(*masks, run_id)
    try:
        yield
    finally:
        emulator.ids.mask(*masks)


def _netloc(emulator: EmulatorServer) -> str:
    return f"{emulator.host}:{emulator.port}"


def _keep(
    kept: Path,
    described: dict[str, Any],
    requests: list[Request],
    workdir: Path,
    outputs: dict[str, Any],
    emulator: EmulatorServer,
) -> None:
    """Write the snapshot beside its final place and move it there (never half-written)."""
    kept.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{kept.name}-", dir=kept.parent))
    try:
        if workdir.exists():
            shutil.copytree(workdir, staging / "workdir", symlinks=True)
        with (staging / "requests.jsonl").open("w") as out:
            for request in requests:
                out.write(json.dumps(request.to_json()) + "\n")
        (staging / "snapshot.json").write_text(
            json.dumps(
                {
                    "recipe": described,
                    "outputs": outputs,
                    "netloc": _netloc(emulator),
                    "workdir": str(workdir.resolve()),
                    "requests": len(requests),
                },
                indent=2,
                sort_keys=True,
            )
        )
        shutil.rmtree(kept, ignore_errors=True)
        staging.rename(kept)
    except OSError:
        shutil.rmtree(staging, ignore_errors=True)  # a snapshot is an optimisation: never fatal


def _restore(kept: Path, emulator: EmulatorServer, workdir: Path, run_id: str) -> dict[str, Any]:
    meta = json.loads((kept / "snapshot.json").read_text())
    rewrite = {
        meta["netloc"]: _netloc(emulator),
        meta["workdir"]: str(workdir.resolve()),
        SENTINEL: run_id,
    }
    requests = [
        Request.from_json(json.loads(line))
        for line in (kept / "requests.jsonl").read_text().splitlines()
    ]
    emulator.replay(requests, rewrite)
    if (kept / "workdir").exists():
        shutil.copytree(kept / "workdir", workdir, symlinks=True, dirs_exist_ok=True)
        _rewrite_files(workdir, rewrite)
    return json.loads(_rewritten(json.dumps(meta["outputs"]), rewrite))


def _rewritten(text: str, rewrite: dict[str, str]) -> str:
    for old, new in sorted(rewrite.items(), key=lambda pair: -len(pair[0])):
        if old and old != new:
            text = text.replace(old, new)
    return text


def _rewrite_files(workdir: Path, rewrite: dict[str, str]) -> None:
    """The kept state files name the old run id, address and folder: the new ones, as a fresh
    deploy would have written them."""
    for path in workdir.rglob("*"):
        if path.is_file() and not path.is_symlink() and path.suffix not in (".zip",):
            try:
                text = path.read_text()
            except UnicodeDecodeError:
                continue
            changed = _rewritten(text, rewrite)
            if changed != text:
                path.write_text(changed)
