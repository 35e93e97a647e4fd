#!/usr/bin/env bash
# Cron detector: the account's EBS snapshots that any AWS account may restore (createVolumePermission
# group "all"), its AMIs that another account may launch, and its RDS snapshots that another account
# may restore. One alert per snapshot or image.
# Usage: public-snapshots.sh [-h]     Environment: ALERT_TOPIC_ARN, AWS CLI settings.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib/alert.sh
source "$(dirname "$0")/lib/alert.sh"
[[ ${1:-} == "-h" ]] && { usage "$0"; exit 0; }

public=$(aws ec2 describe-snapshots --owner-ids self --restorable-by-user-ids all \
  --query 'Snapshots[].SnapshotId' --output text)
shared=()
# Each answer is captured first: an API error then stops the run (set -e) instead of reading as none.
images=$(aws ec2 describe-images --owners self --query 'Images[].ImageId' --output text)
db_snapshots=$(aws rds describe-db-snapshots --snapshot-type manual \
  --query 'DBSnapshots[].DBSnapshotIdentifier' --output text)
for image in $(words "$images"); do
  granted=$(aws ec2 describe-image-attribute --image-id "$image" --attribute launchPermission \
    --query 'length(LaunchPermissions)' --output text)
  [[ $granted == 0 ]] || shared+=("$image")
done
for snapshot in $(words "$db_snapshots"); do
  granted=$(aws rds describe-db-snapshot-attributes --db-snapshot-identifier "$snapshot" \
    --query "length(DBSnapshotAttributesResult.DBSnapshotAttributes[?AttributeName=='restore'].AttributeValues[])" \
    --output text)
  [[ $granted == 0 ]] || shared+=("$snapshot")
done
for found in $({ words "$public"; printf '%s\n' "${shared[@]}"; } | new_findings public-snapshots); do
  alert "Snapshot or image $found is shared" \
    "Detector public-snapshots found $found restorable or launchable outside the account.
Runbook: cli-baseline/runbooks/snapshot-private.md (run: runbooks/snapshot-private.sh $found)"
done
