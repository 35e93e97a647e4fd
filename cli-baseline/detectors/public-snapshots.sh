#!/usr/bin/env bash
# Cron detector: the account's EBS snapshots that any AWS account may restore (createVolumePermission
# group "all"). One alert per snapshot.
# Usage: public-snapshots.sh [-h]     Environment: ALERT_TOPIC_ARN, AWS CLI settings.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib/alert.sh
source "$(dirname "$0")/lib/alert.sh"
[[ ${1:-} == "-h" ]] && { usage "$0"; exit 0; }

public=$(aws ec2 describe-snapshots --owner-ids self --restorable-by-user-ids all \
  --query 'Snapshots[].SnapshotId' --output text)
for snapshot in $(words "$public" | new_findings public-snapshots); do
  alert "EBS snapshot $snapshot is public" \
    "Detector public-snapshots found snapshot $snapshot restorable by every AWS account.
Runbook: cli-baseline/runbooks/snapshot-private.md (run: runbooks/snapshot-private.sh $snapshot)"
done
