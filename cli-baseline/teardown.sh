#!/usr/bin/env bash
# Remove everything deploy.sh created, in dependency order. Re-runnable: missing resources are skipped.
#
# Usage: teardown.sh [-h] [-s STATE_FILE]
#   -s  state file written by deploy.sh (default: ./.lab-manual-state.env)
#   -h  this help
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$HERE/lib.sh"
STATE_FILE="./.lab-manual-state.env"
usage() { sed -n '2,7p' "$0" | sed 's/^# \{0,1\}//'; }
while getopts "hs:" opt; do
  case $opt in
    h) usage; exit 0 ;;
    s) STATE_FILE=$OPTARG ;;
    *) usage >&2; exit 2 ;;
  esac
done
[[ -f $STATE_FILE ]] || { log "no state file at $STATE_FILE: nothing to remove"; exit 0; }

INSTANCE_ID=$(state_get INSTANCE_ID)
if [[ -n $INSTANCE_ID ]]; then
  log "1. terminate the monitoring instance $INSTANCE_ID"
  aws ec2 terminate-instances --instance-ids "$INSTANCE_ID" >/dev/null 2>&1 || true
  aws ec2 wait instance-terminated --instance-ids "$INSTANCE_ID" 2>/dev/null || true
fi

ROLE=$(state_get MONITOR_ROLE)
if [[ -n $ROLE ]]; then
  log "2. instance profile and role $ROLE"
  aws iam remove-role-from-instance-profile --instance-profile-name "$ROLE" --role-name "$ROLE" 2>/dev/null || true
  aws iam delete-instance-profile --instance-profile-name "$ROLE" 2>/dev/null || true
  aws iam delete-role-policy --role-name "$ROLE" --policy-name detectors 2>/dev/null || true
  aws iam delete-role --role-name "$ROLE" 2>/dev/null || true
fi

TOPIC_ARN=$(state_get ALERT_TOPIC_ARN)
if [[ -n $TOPIC_ARN ]]; then
  log "3. alert topic and its subscriptions"
  for sub in $(aws sns list-subscriptions-by-topic --topic-arn "$TOPIC_ARN" \
      --query "Subscriptions[].SubscriptionArn" --output text 2>/dev/null || true); do
    [[ $sub == arn:* ]] && aws sns unsubscribe --subscription-arn "$sub" 2>/dev/null || true
  done
  aws sns delete-topic --topic-arn "$TOPIC_ARN" 2>/dev/null || true
fi

for key in MONITOR_SG_ID SUBNET_ID VPC_ID; do
  id=$(state_get "$key")
  [[ -z $id ]] && continue
  log "4. delete $key $id"
  case $key in
    MONITOR_SG_ID) aws ec2 delete-security-group --group-id "$id" 2>/dev/null || true ;;
    SUBNET_ID) aws ec2 delete-subnet --subnet-id "$id" 2>/dev/null || true ;;
    VPC_ID) aws ec2 delete-vpc --vpc-id "$id" 2>/dev/null || true ;;
  esac
done
rm -f "$STATE_FILE"
log "done"
