#!/usr/bin/env bash
# Runbook serial-console-disable, executable part: the CLI commands the on-call person runs (see serial-console-disable.md).
# Usage: serial-console-disable.sh [-h]
set -euo pipefail
[[ ${1:-} == "-h" || $# -ne 0 ]] && { sed -n '2,3p' "$0" | sed 's/^# \{0,1\}//'; [[ ${1:-} == "-h" ]]; exit $?; }

echo "# 1. Fix: turn serial console access off for the account (this Region)"
aws ec2 disable-serial-console-access --query SerialConsoleAccessEnabled --output text

echo "# 2. Verify"
aws ec2 get-serial-console-access-status --query SerialConsoleAccessEnabled --output text
