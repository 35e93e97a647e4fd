#!/usr/bin/env bash
# Runbook config-recorder-start, executable part: the CLI commands the on-call person runs (see config-recorder-start.md).
# Usage: config-recorder-start.sh [-h] RECORDER_NAME
set -euo pipefail
[[ ${1:-} == "-h" || $# -ne 1 ]] && { sed -n '2,3p' "$0" | sed 's/^# \{0,1\}//'; [[ ${1:-} == "-h" ]]; exit $?; }
RECORDER=$1

echo "# 1. Fix: start the recorder"
aws configservice start-configuration-recorder --configuration-recorder-name "$RECORDER"

echo "# 2. Verify"
aws configservice describe-configuration-recorder-status \
  --configuration-recorder-names "$RECORDER" --query 'ConfigurationRecordersStatus[0].recording' --output text
