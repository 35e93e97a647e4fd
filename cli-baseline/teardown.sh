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

RULE_PREFIX=$(state_get EVENT_RULE_PREFIX)
if [[ -n $RULE_PREFIX ]]; then
  log "2b. EventBridge rules $RULE_PREFIX*"
  for rule in $(aws events list-rules --name-prefix "$RULE_PREFIX" --query 'Rules[].Name' --output text 2>/dev/null || true); do
    [[ $rule == None ]] && continue
    aws events remove-targets --rule "$rule" --ids alert-topic >/dev/null 2>&1 || true
    aws events delete-rule --name "$rule" 2>/dev/null || true
  done
fi

CONFIG_RULE_PREFIX=$(state_get CONFIG_RULE_PREFIX)
if [[ -n $CONFIG_RULE_PREFIX ]]; then
  log "2c. AWS Config rules, delivery channel, recorder and its role"
  for rule in $(aws configservice describe-config-rules \
      --query "ConfigRules[?starts_with(ConfigRuleName, '$CONFIG_RULE_PREFIX')].ConfigRuleName" --output text 2>/dev/null || true); do
    [[ $rule == None ]] && continue
    aws configservice delete-config-rule --config-rule-name "$rule" 2>/dev/null || true
  done
fi
RECORDER=$(state_get CONFIG_RECORDER)
if [[ -n $RECORDER ]]; then
  aws configservice stop-configuration-recorder --configuration-recorder-name "$RECORDER" 2>/dev/null || true
  aws configservice delete-delivery-channel --delivery-channel-name "$(state_get CONFIG_DELIVERY)" 2>/dev/null || true
  aws configservice delete-configuration-recorder --configuration-recorder-name "$RECORDER" 2>/dev/null || true
fi
CONFIG_ROLE=$(state_get CONFIG_ROLE)
if [[ -n $CONFIG_ROLE ]]; then
  aws iam detach-role-policy --role-name "$CONFIG_ROLE" \
    --policy-arn arn:aws:iam::aws:policy/service-role/AWS_ConfigRole 2>/dev/null || true
  aws iam delete-role --role-name "$CONFIG_ROLE" 2>/dev/null || true
fi

DETECTOR_CREATED=$(state_get DETECTOR_CREATED)
if [[ -n $DETECTOR_CREATED ]]; then
  log "2d. GuardDuty detector $DETECTOR_CREATED (created by deploy.sh)"
  aws guardduty delete-detector --detector-id "$DETECTOR_CREATED" 2>/dev/null || true
fi

TRAIL_NAME=$(state_get TRAIL_NAME)
if [[ -n $TRAIL_NAME ]]; then
  log "2e. trail $TRAIL_NAME, its log group and role"
  aws cloudtrail delete-trail --name "$TRAIL_NAME" 2>/dev/null || true
  aws logs delete-log-group --log-group-name "$(state_get TRAIL_GROUP)" 2>/dev/null || true
  TRAIL_ROLE=$(state_get TRAIL_ROLE)
  aws iam delete-role-policy --role-name "$TRAIL_ROLE" --policy-name deliver 2>/dev/null || true
  aws iam delete-role --role-name "$TRAIL_ROLE" 2>/dev/null || true
fi

LOG_BUCKET=$(state_get LOG_BUCKET)
if [[ -n $LOG_BUCKET ]]; then
  log "2f. log archive bucket $LOG_BUCKET (every object version first)"
  while true; do
    # shellcheck disable=SC2016  # the backticks are JMESPath's literal, not a command
    batch=$(aws s3api list-object-versions --bucket "$LOG_BUCKET" --max-items 500 --output json \
      --query '{Objects: [Versions, DeleteMarkers][][].{Key: Key, VersionId: VersionId}, Quiet: `true`}' 2>/dev/null || true)
    [[ -z $batch || $batch == *'"Objects": []'* || $batch == *'"Objects": null'* ]] && break
    aws s3api delete-objects --bucket "$LOG_BUCKET" --delete "$batch" >/dev/null 2>&1 || break
  done
  aws s3api delete-bucket --bucket "$LOG_BUCKET" 2>/dev/null || true
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

ALARM_PREFIX=$(state_get ALARM_PREFIX)
if [[ -n $ALARM_PREFIX ]]; then
  log "3b. alarms, log groups (their metric filters go with them)"
  alarms=$(aws cloudwatch describe-alarms --alarm-name-prefix "$ALARM_PREFIX" \
    --query 'MetricAlarms[].AlarmName' --output text 2>/dev/null || true)
  # shellcheck disable=SC2086  # one word per alarm name
  [[ -n $alarms && $alarms != None ]] && aws cloudwatch delete-alarms --alarm-names $alarms || true
  for group in /lab/manual/secure /lab/manual/messages /lab/manual/app /lab/manual/detectors; do
    aws logs delete-log-group --log-group-name "$group" 2>/dev/null || true
  done
fi

AGENT_PARAMETER=$(state_get AGENT_PARAMETER)
if [[ -n $AGENT_PARAMETER ]]; then
  log "3d. CloudWatch agent configuration $AGENT_PARAMETER"
  aws ssm delete-parameter --name "$AGENT_PARAMETER" 2>/dev/null || true
fi

KEY_NAME=$(state_get KEY_NAME)
if [[ -n $KEY_NAME ]]; then
  log "3c. key pair $KEY_NAME"
  aws ec2 delete-key-pair --key-name "$KEY_NAME" 2>/dev/null || true
  rm -f "${STATE_FILE}.key.pem"
fi

RTB_ID=$(state_get RTB_ID)
if [[ -n $RTB_ID ]]; then
  log "3d. route table $RTB_ID"
  for association in $(aws ec2 describe-route-tables --route-table-ids "$RTB_ID" \
      --query 'RouteTables[0].Associations[].RouteTableAssociationId' --output text 2>/dev/null || true); do
    aws ec2 disassociate-route-table --association-id "$association" 2>/dev/null || true
  done
  aws ec2 delete-route-table --route-table-id "$RTB_ID" 2>/dev/null || true
fi
IGW_ID=$(state_get IGW_ID)
if [[ -n $IGW_ID ]]; then
  log "3e. internet gateway $IGW_ID"
  aws ec2 detach-internet-gateway --internet-gateway-id "$IGW_ID" --vpc-id "$(state_get VPC_ID)" 2>/dev/null || true
  aws ec2 delete-internet-gateway --internet-gateway-id "$IGW_ID" 2>/dev/null || true
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
