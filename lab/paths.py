"""Where the lab's non-Python parts live (the repository is the installation: editable install)."""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
TERRAFORM_DIR = REPO_ROOT / "terraform"
FUNCTIONS_DIR = TERRAFORM_DIR / "functions"
CLI_BASELINE_DIR = REPO_ROOT / "cli-baseline"
CUSTODIAN_DIR = REPO_ROOT / "custodian"
RUNBOOKS_DIR = CLI_BASELINE_DIR / "runbooks"
SCENARIOS_DIR = REPO_ROOT / "scenarios"
# Runs go under the folder lab is run in (relative on purpose), unless a command's --out says
# otherwise: a user working in their own folder does not write into the installed checkout.
RESULTS_DIR = Path("results")
