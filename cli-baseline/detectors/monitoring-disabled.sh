#!/usr/bin/env bash
# Cron detector: a suspended GuardDuty detector or a stopped AWS Config recorder.
# Usage: monitoring-disabled.sh [-h]     Environment: ALERT_TOPIC_ARN, AWS CLI settings.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib/alert.sh
source "$(dirname "$0")/lib/alert.sh"
[[ ${1:-} == "-h" ]] && { usage "$0"; exit 0; }

findings=()
detectors=$(aws guardduty list-detectors --query DetectorIds --output text)  # an error stops the run
for detector in $(words "$detectors"); do
  status=$(aws guardduty get-detector --detector-id "$detector" --query Status --output text)
  [[ $status == ENABLED ]] || findings+=("guardduty:$detector")
done
stopped=$(aws configservice describe-configuration-recorder-status \
  --query 'ConfigurationRecordersStatus[?!recording].name' --output text)
for recorder in $(words "$stopped"); do findings+=("config:$recorder"); done
for finding in $(printf '%s\n' "${findings[@]}" | new_findings monitoring-disabled); do
  case ${finding%%:*} in
    guardduty) alert "GuardDuty detector ${finding#*:} suspended" \
      "Detector monitoring-disabled found GuardDuty detector ${finding#*:} not ENABLED.
Runbook: cli-baseline/runbooks/guardduty-enable.md (run: runbooks/guardduty-enable.sh ${finding#*:})" ;;
    config) alert "AWS Config recorder ${finding#*:} stopped" \
      "Detector monitoring-disabled found configuration recorder ${finding#*:} not recording.
Runbook: cli-baseline/runbooks/config-recorder-start.md (run: runbooks/config-recorder-start.sh ${finding#*:})" ;;
  esac
done
