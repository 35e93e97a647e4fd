#!/usr/bin/env bash
# Runbook cloudtrail-restore, executable part: the CLI commands the on-call person runs (see cloudtrail-restore.md).
# Usage: cloudtrail-restore.sh [-h] TRAIL_NAME [BUCKET]   (without BUCKET: read from the trail's CreateTrail call)
set -euo pipefail
[[ ${1:-} == "-h" || $# -lt 1 || $# -gt 2 ]] && { sed -n '2,3p' "$0" | sed 's/^# \{0,1\}//'; [[ ${1:-} == "-h" ]]; exit $?; }
TRAIL=$1
BUCKET=${2:-}

echo "# 1. Check: does $TRAIL still exist?"
if [[ $(aws cloudtrail describe-trails --trail-name-list "$TRAIL" --query 'length(trailList)' --output text) == 0 ]]; then
  if [[ -z $BUCKET ]]; then
    echo "# 1b. Find its bucket: the CreateTrail call in the event history (90 days)"
    BUCKET=$(aws cloudtrail lookup-events --lookup-attributes AttributeKey=EventName,AttributeValue=CreateTrail \
      --query "Events[?contains(CloudTrailEvent, '$TRAIL')] | [0].CloudTrailEvent" --output text |
      sed -n 's/.*"s3BucketName": *"\([^"]*\)".*/\1/p')
    [[ -n $BUCKET ]] || { echo "no CreateTrail of $TRAIL in the event history: give BUCKET" >&2; exit 1; }
  fi
  echo "# 2a. Fix: recreate it (multi-region, log file validation) on its bucket"
  aws cloudtrail create-trail --name "$TRAIL" --s3-bucket-name "$BUCKET" \
    --is-multi-region-trail --enable-log-file-validation >/dev/null
fi
echo "# 2b. Fix: start logging, record every management event, keep the logs (no expiration rule)"
aws cloudtrail start-logging --name "$TRAIL"
aws cloudtrail put-event-selectors --trail-name "$TRAIL" \
  --event-selectors '[{"ReadWriteType":"All","IncludeManagementEvents":true}]' >/dev/null
BUCKET=$(aws cloudtrail describe-trails --trail-name-list "$TRAIL" --query 'trailList[0].S3BucketName' --output text)
aws s3api delete-bucket-lifecycle --bucket "$BUCKET"

echo "# 3. Verify"
aws cloudtrail get-trail-status --name "$TRAIL" --query IsLogging --output text
