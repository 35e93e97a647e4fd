"""Prowler's metadata kept per installation (``lab/prowler/emulator_site/kept_metadata.py``), in
the real Prowler venv: the first call parses as Prowler does and keeps it; a later call (a later
scan) loads what was kept, equal to Prowler's own parse, as objects of its own."""

import subprocess
import textwrap

from lab.prowler import tool
from lab.prowler.tool import EMULATOR_SITE

SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    import kept_metadata
    from prowler.lib.check import compliance, compliance_models, models

    kept_metadata.KEPT = Path(sys.argv[1])
    kept_metadata.install()
    def parse():  # what Prowler's start-up asks for, through the wrapped functions
        checks = models.CheckMetadata.get_bulk("aws")
        frameworks = compliance_models.Compliance.get_bulk("aws")
        universal = compliance_models.get_bulk_compliance_frameworks_universal("aws")
        given = models.CheckMetadata.get_bulk("aws")
        filled = compliance.update_checks_metadata_with_compliance(frameworks, given)
        assert filled is given  # filled in place, as Prowler's own does
        return checks, frameworks, universal, filled
    made = parse()  # Prowler's own parse, kept
    print(len(list(kept_metadata.KEPT.glob("*.pickle"))))
    loaded = parse()  # read back
    print(len(list(kept_metadata.KEPT.glob("*.pickle"))))
    assert loaded == made
    assert all(a is not b for a, b in zip(loaded, made))  # objects of their own
    assert any(m.Compliance for m in loaded[3].values())
    """
)


def test_a_later_scan_loads_what_the_first_parsed_and_it_equals_prowlers_parse(tmp_path):
    python = tool.executable().parent / "python"
    ran = subprocess.run(
        [str(python), "-c", SCRIPT, str(tmp_path / "kept")],
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(EMULATOR_SITE), "PATH": "/usr/bin:/bin"},
        timeout=600,
    )
    assert ran.returncode == 0, ran.stderr[-3000:]
    assert ran.stdout.split() == ["4", "4"]  # one file per function, made once
