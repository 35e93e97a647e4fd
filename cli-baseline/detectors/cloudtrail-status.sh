#!/usr/bin/env bash
# Cron detector: CloudTrail trails that stopped logging, record no management events (event
# selectors), keep their logs in a bucket with an expiration rule, or existed at an earlier run and
# are gone. Remembers each trail's bucket so the runbook can recreate it.
# Usage: cloudtrail-status.sh [-h]     Environment: ALERT_TOPIC_ARN, AWS CLI settings.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib/alert.sh
source "$(dirname "$0")/lib/alert.sh"
[[ ${1:-} == "-h" ]] && { usage "$0"; exit 0; }

KNOWN="$STATE_DIR/cloudtrail-known-trails"
touch "$KNOWN"
trails=$(aws cloudtrail describe-trails --query 'trailList[].[Name,S3BucketName,TrailARN]' --output text)
findings=()
while read -r name bucket arn; do
  [[ -z $name ]] && continue
  grep -q "^$name " "$KNOWN" || echo "$name $bucket" >> "$KNOWN"
  # By ARN: an organization trail seen from a member account is only found by its ARN.
  logging=$(aws cloudtrail get-trail-status --name "$arn" --query IsLogging --output text)
  [[ $logging == True ]] || findings+=("$name:stopped")
  # Advanced event selectors are the trail owner's own design; basic ones must record management writes.
  counts=$(aws cloudtrail get-event-selectors --trail-name "$arn" \
    --query "[length(AdvancedEventSelectors || \`[]\`), length(EventSelectors[?IncludeManagementEvents && ReadWriteType!='ReadOnly'] || \`[]\`)]" \
    --output text)
  read -r advanced management <<<"$counts"
  [[ $advanced != 0 || $management != 0 ]] || findings+=("$name:records-no-management-events")
  expiring=$(aws s3api get-bucket-lifecycle-configuration --bucket "$bucket" \
    --query "length(Rules[?Status=='Enabled' && Expiration])" --output text 2>/dev/null || echo 0)
  [[ $expiring == 0 ]] || findings+=("$name:logs-expire")
done <<<"$trails"
while read -r name _; do
  [[ -z $name ]] && continue
  grep -q "^$name"$'\t' <<<"$trails" || findings+=("$name:deleted")
done < "$KNOWN"
for finding in $(printf '%s\n' "${findings[@]}" | new_findings cloudtrail-status); do
  name=${finding%%:*}
  bucket=$(grep "^$name " "$KNOWN" | head -n1 | cut -d' ' -f2)
  alert "CloudTrail trail $name ${finding#*:}" \
    "Detector cloudtrail-status found trail $name ${finding#*:} (bucket $bucket).
Check: aws cloudtrail get-trail-status --name $name
Runbook: cli-baseline/runbooks/cloudtrail-restore.md (run: runbooks/cloudtrail-restore.sh $name $bucket)"
done
