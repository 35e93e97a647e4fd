"""Ctrl-C in the middle of a run: teardown, an interrupted manifest, and how to resume."""

import json
import signal

from tests.experiment.test_resume import _interrupt_after_first_trial


def test_ctrl_c_tears_down_marks_the_run_interrupted_and_says_how_to_resume(tmp_path):
    # SIGINT to the run's process alone (Ctrl-C sends it to the whole foreground group). Under
    # load its KeyboardInterrupt used to be dropped when raised inside a finalizer; lab.interrupt
    # raises it again at the next simulated step.
    _, run_dir, returncode, stdout, stderr = _interrupt_after_first_trial(
        tmp_path, signal.SIGINT, group=False
    )
    assert returncode == 130, stderr
    assert "--resume" in stderr
    assert "tearing down manual" in stdout  # the last step the run reported before exiting
    assert json.loads((run_dir / "manifest.json").read_text())["status"] == "interrupted"
