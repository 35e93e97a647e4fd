"""Prowler, the open-source AWS CSPM (https://github.com/prowler-cloud/prowler), as the lab uses
it: ``tool`` runs it against an account (the emulator or a real one) and ``findings`` reads its
OCSF output as rows. It knows nothing of the simulation or the applications: the simulation's
scheduled scans (``lab.sim.posture_scanner``) and ``lab cspm`` (``lab.cspm``) stand on it."""
