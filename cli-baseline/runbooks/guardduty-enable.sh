#!/usr/bin/env bash
# Runbook guardduty-enable, executable part: the CLI commands the on-call person runs (see guardduty-enable.md).
# Usage: guardduty-enable.sh [-h] DETECTOR_ID
set -euo pipefail
[[ ${1:-} == "-h" || $# -ne 1 ]] && { sed -n '2,3p' "$0" | sed 's/^# \{0,1\}//'; [[ ${1:-} == "-h" ]]; exit $?; }
DETECTOR_ID=$1

echo "# 1. Fix: re-enable the detector"
aws guardduty update-detector --detector-id "$DETECTOR_ID" --enable

echo "# 2. Verify"
aws guardduty get-detector --detector-id "$DETECTOR_ID" --query Status --output text
