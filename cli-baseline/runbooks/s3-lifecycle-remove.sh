#!/usr/bin/env bash
# Runbook s3-lifecycle-remove, executable part: the CLI commands the on-call person runs (see s3-lifecycle-remove.md).
# Usage: s3-lifecycle-remove.sh [-h] BUCKET
set -euo pipefail
[[ ${1:-} == "-h" || $# -ne 1 ]] && { sed -n '2,3p' "$0" | sed 's/^# \{0,1\}//'; [[ ${1:-} == "-h" ]]; exit $?; }
BUCKET=$1

echo "# 1. Check: is $BUCKET a trail's log bucket?"
trails=$(aws cloudtrail describe-trails --query "trailList[?S3BucketName=='$BUCKET'].Name" --output text)
if [[ -z $trails ]]; then
  echo "not a trail's bucket: its lifecycle rules are its owner's business"
  exit 0
fi
echo "# 2. Fix: remove the lifecycle configuration of the log bucket of $trails"
aws s3api delete-bucket-lifecycle --bucket "$BUCKET"

echo "# 3. Verify: no lifecycle configuration"
aws s3api get-bucket-lifecycle-configuration --bucket "$BUCKET" 2>&1 | tail -n1
