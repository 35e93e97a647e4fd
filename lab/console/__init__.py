"""The security team's web console: a finished run replayed, or a live lab followed."""
