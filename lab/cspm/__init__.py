"""Cloud security posture (CSPM): Prowler scans the emulated account, and each architecture's own
posture is what it fails (and fixes) against the same empty account.

``prowler`` runs the real tool from its own venv (installed on demand, as checkov is);
``findings`` reads its OCSF output and compares scans; ``posture`` deploys each architecture
into a fresh emulated account, scans it, and writes the table, figure and manifest."""
