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
    checks = models.CheckMetadata.get_bulk("aws")
    frameworks = compliance_models.Compliance.get_bulk("aws")
    universal = compliance_models.get_bulk_compliance_frameworks_universal("aws")
    filled = compliance.update_checks_metadata_with_compliance(
        frameworks, models.CheckMetadata.get_bulk("aws")
    )
    kept_metadata.install()
    for _ in ("made", "loaded"):
        kept_checks = models.CheckMetadata.get_bulk("aws")
        assert kept_checks == checks and kept_checks is not checks
        kept_frameworks = compliance_models.Compliance.get_bulk("aws")
        assert kept_frameworks == frameworks
        assert compliance_models.get_bulk_compliance_frameworks_universal("aws") == universal
        given = dict(kept_checks)
        out = compliance.update_checks_metadata_with_compliance(kept_frameworks, given)
        assert out is given and out == filled
        assert any(m.Compliance for m in out.values())
        print(len(list(kept_metadata.KEPT.glob("*.pickle"))))
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
