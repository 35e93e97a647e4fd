"""``lab cspm``: each architecture's own posture, what it fails (and fixes) against the same empty
account, scanned with Prowler (``lab.prowler``).

``posture`` deploys each architecture into a fresh emulated account, scans it, and writes the
tables and manifest; ``compare`` reads one scan against the empty account's. The figure is the
report's (``lab.report.posture_figures``)."""
