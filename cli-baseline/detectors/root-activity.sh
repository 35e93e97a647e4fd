#!/usr/bin/env bash
# Cron detector: calls made with the root user's credentials, from CloudTrail event history
# (LookupEvents, the last 90 days of management events, no trail needed). One alert per run that
# finds root events it had not seen; the first run only records what is already there.
# Usage: root-activity.sh [-h]     Environment: ALERT_TOPIC_ARN, AWS CLI settings.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib/alert.sh
source "$(dirname "$0")/lib/alert.sh"
[[ ${1:-} == "-h" ]] && { usage "$0"; exit 0; }

events=$(aws cloudtrail lookup-events --max-results 50 \
  --lookup-attributes AttributeKey=Username,AttributeValue=root \
  --query 'Events[].[EventId,EventName]' --output text)
new=$(awk '{print $1}' <<<"$events" | new_findings root-activity --baseline)
if [[ -n $new ]]; then
  names=$(grep -F -f <(printf '%s\n' "$new") <<<"$events" | awk '{print $2}' | sort -u | paste -sd, -)
  alert "Root user activity: $names" \
    "Detector root-activity found $(wc -l <<<"$new") new event(s) made with the root user's credentials: $names.
Check: aws cloudtrail lookup-events --lookup-attributes AttributeKey=Username,AttributeValue=root
Runbook: cli-baseline/runbooks/root-usage.md (run: runbooks/root-usage.sh)"
fi
