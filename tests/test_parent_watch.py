"""A worker process started by multiprocessing ends when its parent is killed (kill -9), instead of
waiting forever for a reader of its queue."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

PARENT = """
import multiprocessing, sys, time

def child(watch):
    if watch:
        from lab.parent_watch import exit_with_parent
        exit_with_parent()
    time.sleep(600)

if __name__ == "__main__":
    process = multiprocessing.get_context("spawn").Process(target=child, args=(sys.argv[1] == "1",))
    process.start()
    print(process.pid, flush=True)
    time.sleep(600)
"""


def _orphan_after_kill_9(tmp_path: Path, watch: bool, wait_s: float) -> tuple[int, bool]:
    script = tmp_path / "parent.py"
    script.write_text(PARENT)
    parent = subprocess.Popen(
        [sys.executable, str(script), "1" if watch else "0"], stdout=subprocess.PIPE, text=True
    )
    child = int(parent.stdout.readline())
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + wait_s
    while Path(f"/proc/{child}").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    alive = (
        Path(f"/proc/{child}").exists()
        and "Z" not in Path(f"/proc/{child}/stat").read_text().split()[2]
    )
    return child, alive


def test_a_watched_child_ends_with_its_killed_parent_and_an_unwatched_one_would_not(tmp_path):
    _, alive = _orphan_after_kill_9(tmp_path, watch=True, wait_s=15)
    assert not alive
    child, alive = _orphan_after_kill_9(tmp_path, watch=False, wait_s=2)  # what the watch is for
    try:
        assert alive
    finally:
        os.kill(child, signal.SIGKILL)
