#!/usr/bin/env bash
# Runbook snapshot-private, executable part: the CLI commands the on-call person runs (see snapshot-private.md).
# Usage: snapshot-private.sh [-h] SNAPSHOT_ID
set -euo pipefail
[[ ${1:-} == "-h" || $# -ne 1 ]] && { sed -n '2,3p' "$0" | sed 's/^# \{0,1\}//'; [[ ${1:-} == "-h" ]]; exit $?; }
SNAPSHOT_ID=$1

echo "# 1. Fix: remove the public (group all) create-volume permission"
aws ec2 modify-snapshot-attribute --snapshot-id "$SNAPSHOT_ID" --attribute createVolumePermission \
  --operation-type remove --group-names all

echo "# 2. Verify"
aws ec2 describe-snapshot-attribute --snapshot-id "$SNAPSHOT_ID" --attribute createVolumePermission \
  --query 'CreateVolumePermissions' --output text
