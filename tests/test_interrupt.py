"""Ctrl-C in the middle of a run: teardown, an interrupted manifest, and how to resume."""

import json
import signal

import pytest
from test_resume import _interrupt_after_first_trial


@pytest.mark.xfail(
    strict=False,
    reason="Known bug, not yet found: with the whole suite running on 2 cores, the SIGINT is "
    "sometimes lost inside a simulated trial and the run completes (exit 0). Passes alone.",
)
def test_ctrl_c_tears_down_marks_the_run_interrupted_and_says_how_to_resume(tmp_path):
    # SIGINT to the run's process (Ctrl-C sends it to the whole foreground group; under heavy load
    # the group case has been seen to finish the run instead: an open question, see the notes).
    _, run_dir, returncode, stdout, stderr = _interrupt_after_first_trial(
        tmp_path, signal.SIGINT, group=False
    )
    assert returncode == 130, stderr
    assert "--resume" in stderr
    assert "tearing down manual" in stdout  # the last step the run reported before exiting
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "interrupted"
