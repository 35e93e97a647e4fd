#!/usr/bin/env bash
# Cron detector: customer managed KMS keys scheduled for deletion or disabled. One alert per key.
# Usage: kms-pending-deletion.sh [-h]     Environment: ALERT_TOPIC_ARN, AWS CLI settings.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib/alert.sh
source "$(dirname "$0")/lib/alert.sh"
[[ ${1:-} == "-h" ]] && { usage "$0"; exit 0; }

keys=()
ids=$(aws kms list-keys --query 'Keys[].KeyId' --output text)  # an error stops the run
for key in $(words "$ids"); do
  info=$(aws kms describe-key --key-id "$key" --query 'KeyMetadata.[KeyManager,KeyState]' --output text)
  read -r manager state <<<"$info"
  [[ $manager == CUSTOMER && ($state == PendingDeletion || $state == Disabled) ]] && keys+=("$key")
done
for key in $(printf '%s\n' "${keys[@]}" | new_findings kms-pending-deletion); do
  alert "KMS key $key scheduled for deletion or disabled" \
    "Detector kms-pending-deletion found customer managed key $key pending deletion or disabled.
Runbook: cli-baseline/runbooks/kms-key-restore.md (run: runbooks/kms-key-restore.sh $key)"
done
