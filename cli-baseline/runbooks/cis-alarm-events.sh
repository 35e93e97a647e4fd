#!/usr/bin/env bash
# Runbook cis-alarm-events, executable part: which CloudTrail calls raised a CIS alarm (see cis-alarm-events.md).
# Usage: cis-alarm-events.sh [-h] METRIC_NAME NAMESPACE STATE_CHANGE_TIME   (the alarm e-mail's Trigger and time)
set -euo pipefail
[[ ${1:-} == "-h" || $# -ne 3 ]] && { sed -n '2,3p' "$0" | sed 's/^# \{0,1\}//'; [[ ${1:-} == "-h" ]]; exit $?; }
METRIC=$1
NAMESPACE=$2
CHANGED=$(date -u -d "$3" +%s)

echo "# 1. The metric filter behind the alarm's metric: its log group and pattern"
GROUP=$(aws logs describe-metric-filters --metric-name "$METRIC" --metric-namespace "$NAMESPACE" \
  --query "metricFilters[0].logGroupName" --output text)
PATTERN=$(aws logs describe-metric-filters --metric-name "$METRIC" --metric-namespace "$NAMESPACE" \
  --query "metricFilters[0].filterPattern" --output text)
[[ -n $GROUP && $GROUP != None ]] || { echo "no metric filter publishes $NAMESPACE/$METRIC" >&2; exit 1; }

echo "# 2. The trail's records that match it, in the hour before the alarm changed state"
aws logs filter-log-events --log-group-name "$GROUP" --filter-pattern "$PATTERN" \
  --start-time $(((CHANGED - 3600) * 1000)) --end-time $(((CHANGED + 60) * 1000)) \
  --query "events[].message" --output json |
  python3 -c 'import json, sys
# Each record as the EventBridge event it also was: the runbook index answers it (next step).
for record in json.load(sys.stdin):
    print("event: " + json.dumps({"detail-type": "AWS API Call via CloudTrail", "detail": json.loads(record)}))'

echo "# 3. Fix: for each call above, the runbook the index names for it (runbooks/index.yaml)"
