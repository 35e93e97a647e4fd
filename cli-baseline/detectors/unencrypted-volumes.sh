#!/usr/bin/env bash
# Cron detector: EBS volumes that are not encrypted. One alert per volume.
# Usage: unencrypted-volumes.sh [-h]     Environment: ALERT_TOPIC_ARN, AWS CLI settings.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib/alert.sh
source "$(dirname "$0")/lib/alert.sh"
[[ ${1:-} == "-h" ]] && { usage "$0"; exit 0; }

volumes=$(aws ec2 describe-volumes --filters Name=encrypted,Values=false \
  --query 'Volumes[].VolumeId' --output text)
for volume in $(words "$volumes" | new_findings unencrypted-volumes); do
  alert "Unencrypted EBS volume $volume" \
    "Detector unencrypted-volumes found volume $volume without encryption.
Runbook: cli-baseline/runbooks/volume-unencrypted.md (run: runbooks/volume-unencrypted.sh $volume)"
done
