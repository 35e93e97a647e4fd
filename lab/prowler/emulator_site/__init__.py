"""Start-up code for Prowler's interpreter when it scans the emulator (see sitecustomize)."""
