#!/usr/bin/env bash
# Runbook kms-key-restore, executable part: the CLI commands the on-call person runs (see kms-key-restore.md).
# Usage: kms-key-restore.sh [-h] KEY_ID
set -euo pipefail
[[ ${1:-} == "-h" || $# -ne 1 ]] && { sed -n '2,3p' "$0" | sed 's/^# \{0,1\}//'; [[ ${1:-} == "-h" ]]; exit $?; }
KEY_ID=$1

echo "# 1. Fix: cancel the deletion (the key comes back disabled) and enable it"
if [[ $(aws kms describe-key --key-id "$KEY_ID" --query KeyMetadata.KeyState --output text) == PendingDeletion ]]; then
  aws kms cancel-key-deletion --key-id "$KEY_ID" >/dev/null
fi
aws kms enable-key --key-id "$KEY_ID"

echo "# 2. Verify"
aws kms describe-key --key-id "$KEY_ID" --query KeyMetadata.KeyState --output text
