"""Execute the chapter notebooks (``notebooks/*.ipynb``) headless against a run, with nbclient."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from lab.paths import REPO_ROOT

NOTEBOOKS_DIR = REPO_ROOT / "notebooks"


class NotebookFailed(RuntimeError):
    """A notebook cell raised; the message names the notebook and the error."""


@contextlib.contextmanager
def _environment(**values: str) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def notebooks() -> list[Path]:
    """The chapter notebooks, in chapter order."""
    return sorted(NOTEBOOKS_DIR.glob("*.ipynb"))


def execute(notebook: Path, run_dir: Path, out_dir: Path, timeout_s: int = 600) -> Path:
    """Run every cell of ``notebook`` against ``run_dir``; write the executed copy (with outputs)
    into ``out_dir`` and its figures into ``run_dir/figures``; return the copy's path."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(notebook, as_version=4)
    from traitlets.config import Config

    # IPC sockets in a private temporary folder: nothing listens on TCP, even on localhost.
    with tempfile.TemporaryDirectory(prefix="lab-kernel-") as sockets:
        config = Config({"KernelManager": {"transport": "ipc", "ip": f"{sockets}/kernel"}})
        client = NotebookClient(
            nb,
            timeout=timeout_s,
            kernel_name="python3",
            resources={"metadata": {"path": str(run_dir)}},
            config=config,
        )
        _run(client, notebook, run_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / notebook.name
    nbformat.write(nb, target)
    return target


def _run(client, notebook: Path, run_dir: Path) -> None:
    from nbclient.exceptions import CellExecutionError

    with _environment(LAB_RUN_DIR=str(Path(run_dir).resolve()), MPLBACKEND="Agg"):
        try:
            client.execute()
        except CellExecutionError as exc:
            raise NotebookFailed(f"{notebook.name}: {exc}") from exc
