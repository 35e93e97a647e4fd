#!/usr/bin/env bash
# Remove everything deploy.sh created, in dependency order. Re-runnable: missing resources are skipped.
# Every other failure is reported at the end with what is still tagged with the run, and the
# script exits 1 (the state file stays, for a rerun once the cause is fixed).
#
# Usage: teardown.sh [-h] [-s STATE_FILE]
#   -s  state file written by deploy.sh (default: ./.lab-manual-state.env)
#   -h  this help
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$HERE/lib.sh"
STATE_FILE="./.lab-manual-state.env"
usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; }
while getopts "hs:" opt; do
  case $opt in
    h) usage; exit 0 ;;
    s) STATE_FILE=$OPTARG ;;
    *) usage >&2; exit 2 ;;
  esac
done
[[ -f $STATE_FILE ]] || { log "no state file at $STATE_FILE: nothing to remove"; exit 0; }

FAILED=()
GONE='NotFound|NoSuch|not found|does not exist|NotAttached|is not owned by the current account'
# attempt WHAT COMMAND...: run COMMAND (its output dropped). Something already gone is what
# teardown wants; any other failure is remembered for the report at the end.
attempt() {
  local what=$1 err
  shift
  err=$(mktemp)
  if "$@" >/dev/null 2>"$err" || grep -Eq "$GONE" "$err"; then
    rm -f "$err"
    return 0
  fi
  FAILED+=("$what: $(tr -s '\n' ' ' <"$err")")
  log "   FAILED: $what"
  rm -f "$err"
}
# listed WHAT COMMAND...: COMMAND's output ("None" read as nothing); a failure is remembered and
# reads as nothing, so the rest of the teardown still runs.
listed() {
  local what=$1 out err
  shift
  err=$(mktemp)
  if out=$("$@" 2>"$err"); then
    rm -f "$err"
    [[ $out == None ]] || printf '%s' "$out"
    return 0
  fi
  grep -Eq "$GONE" "$err" || FAILED+=("$what: $(tr -s '\n' ' ' <"$err")")
  rm -f "$err"
}

INSTANCE_ID=$(state_get INSTANCE_ID)
if [[ -n $INSTANCE_ID ]]; then
  log "1. terminate the monitoring instance $INSTANCE_ID"
  attempt "terminate instance $INSTANCE_ID" aws ec2 terminate-instances --instance-ids "$INSTANCE_ID"
  attempt "wait for instance $INSTANCE_ID to terminate" aws ec2 wait instance-terminated --instance-ids "$INSTANCE_ID"
fi

ROLE=$(state_get MONITOR_ROLE)
if [[ -n $ROLE ]]; then
  log "2. instance profile and role $ROLE"
  attempt "remove role $ROLE from its instance profile" \
    aws iam remove-role-from-instance-profile --instance-profile-name "$ROLE" --role-name "$ROLE"
  attempt "delete instance profile $ROLE" aws iam delete-instance-profile --instance-profile-name "$ROLE"
  attempt "delete policy detectors of role $ROLE" aws iam delete-role-policy --role-name "$ROLE" --policy-name detectors
  for policy in $(listed "list the policies attached to $ROLE" aws iam list-attached-role-policies \
      --role-name "$ROLE" --query 'AttachedPolicies[].PolicyArn' --output text); do
    attempt "detach $policy from role $ROLE" aws iam detach-role-policy --role-name "$ROLE" --policy-arn "$policy"
  done
  attempt "delete role $ROLE" aws iam delete-role --role-name "$ROLE"
fi

RULE_PREFIX=$(state_get EVENT_RULE_PREFIX)
if [[ -n $RULE_PREFIX ]]; then
  log "2b. EventBridge rules $RULE_PREFIX*"
  for rule in $(listed "list the EventBridge rules $RULE_PREFIX*" aws events list-rules \
      --name-prefix "$RULE_PREFIX" --query 'Rules[].Name' --output text); do
    attempt "remove the targets of rule $rule" aws events remove-targets --rule "$rule" --ids alert-topic
    attempt "delete rule $rule" aws events delete-rule --name "$rule"
  done
fi

CONFIG_RULE_PREFIX=$(state_get CONFIG_RULE_PREFIX)
if [[ -n $CONFIG_RULE_PREFIX ]]; then
  log "2c. AWS Config rules, delivery channel, recorder and its role"
  for rule in $(listed "list the Config rules $CONFIG_RULE_PREFIX*" aws configservice describe-config-rules \
      --query "ConfigRules[?starts_with(ConfigRuleName, '$CONFIG_RULE_PREFIX')].ConfigRuleName" --output text); do
    attempt "delete Config rule $rule" aws configservice delete-config-rule --config-rule-name "$rule"
  done
fi
RECORDER=$(state_get CONFIG_RECORDER)
if [[ -n $RECORDER ]]; then
  attempt "stop recorder $RECORDER" aws configservice stop-configuration-recorder --configuration-recorder-name "$RECORDER"
  DELIVERY=$(state_get CONFIG_DELIVERY)
  [[ -n $DELIVERY ]] && attempt "delete delivery channel $DELIVERY" \
    aws configservice delete-delivery-channel --delivery-channel-name "$DELIVERY"
  attempt "delete recorder $RECORDER" aws configservice delete-configuration-recorder --configuration-recorder-name "$RECORDER"
fi
CONFIG_ROLE=$(state_get CONFIG_ROLE)
if [[ -n $CONFIG_ROLE ]]; then
  attempt "detach AWS_ConfigRole from role $CONFIG_ROLE" aws iam detach-role-policy --role-name "$CONFIG_ROLE" \
    --policy-arn arn:aws:iam::aws:policy/service-role/AWS_ConfigRole
  attempt "delete role $CONFIG_ROLE" aws iam delete-role --role-name "$CONFIG_ROLE"
fi

DETECTOR_CREATED=$(state_get DETECTOR_CREATED)
if [[ -n $DETECTOR_CREATED ]]; then
  log "2d. GuardDuty detector $DETECTOR_CREATED (created by deploy.sh)"
  attempt "delete GuardDuty detector $DETECTOR_CREATED" aws guardduty delete-detector --detector-id "$DETECTOR_CREATED"
fi

TRAIL_NAME=$(state_get TRAIL_NAME)
if [[ -n $TRAIL_NAME ]]; then
  log "2e. trail $TRAIL_NAME, its log group and role"
  attempt "delete trail $TRAIL_NAME" aws cloudtrail delete-trail --name "$TRAIL_NAME"
  TRAIL_GROUP=$(state_get TRAIL_GROUP)
  [[ -n $TRAIL_GROUP ]] && attempt "delete log group $TRAIL_GROUP" aws logs delete-log-group --log-group-name "$TRAIL_GROUP"
fi
TRAIL_ROLE=$(state_get TRAIL_ROLE)
if [[ -n $TRAIL_ROLE ]]; then
  attempt "delete policy deliver of role $TRAIL_ROLE" aws iam delete-role-policy --role-name "$TRAIL_ROLE" --policy-name deliver
  attempt "delete role $TRAIL_ROLE" aws iam delete-role --role-name "$TRAIL_ROLE"
fi

LOG_BUCKET=$(state_get LOG_BUCKET)
if [[ -n $LOG_BUCKET ]]; then
  log "2f. log archive bucket $LOG_BUCKET (every object version first)"
  while true; do
    # shellcheck disable=SC2016  # the backticks are JMESPath's literal, not a command
    batch=$(listed "list the object versions of $LOG_BUCKET" aws s3api list-object-versions \
      --bucket "$LOG_BUCKET" --max-items 500 --output json \
      --query '{Objects: [Versions, DeleteMarkers][][].{Key: Key, VersionId: VersionId}, Quiet: `true`}')
    [[ -z $batch || $batch == *'"Objects": []'* || $batch == *'"Objects": null'* ]] && break
    before=${#FAILED[@]}
    attempt "delete object versions of $LOG_BUCKET" aws s3api delete-objects --bucket "$LOG_BUCKET" --delete "$batch"
    [[ ${#FAILED[@]} -eq $before ]] || break
  done
  attempt "delete bucket $LOG_BUCKET" aws s3api delete-bucket --bucket "$LOG_BUCKET"
fi

TOPIC_ARN=$(state_get ALERT_TOPIC_ARN)
if [[ -n $TOPIC_ARN ]]; then
  log "3. alert topic and its subscriptions"
  for sub in $(listed "list the subscriptions of $TOPIC_ARN" aws sns list-subscriptions-by-topic \
      --topic-arn "$TOPIC_ARN" --query "Subscriptions[].SubscriptionArn" --output text); do
    [[ $sub == arn:* ]] && attempt "unsubscribe $sub" aws sns unsubscribe --subscription-arn "$sub"
  done
  attempt "delete topic $TOPIC_ARN" aws sns delete-topic --topic-arn "$TOPIC_ARN"
fi

ALARM_PREFIX=$(state_get ALARM_PREFIX)
if [[ -n $ALARM_PREFIX ]]; then
  log "3b. alarms, log groups (their metric filters go with them)"
  alarms=$(listed "list the alarms $ALARM_PREFIX*" aws cloudwatch describe-alarms \
    --alarm-name-prefix "$ALARM_PREFIX" --query 'MetricAlarms[].AlarmName' --output text)
  # shellcheck disable=SC2086  # one word per alarm name
  [[ -n $alarms ]] && attempt "delete alarms $ALARM_PREFIX*" aws cloudwatch delete-alarms --alarm-names $alarms
  for group in /lab/manual/secure /lab/manual/messages /lab/manual/app /lab/manual/detectors; do
    attempt "delete log group $group" aws logs delete-log-group --log-group-name "$group"
  done
fi

AGENT_PARAMETER=$(state_get AGENT_PARAMETER)
if [[ -n $AGENT_PARAMETER ]]; then
  log "3d. CloudWatch agent configuration $AGENT_PARAMETER"
  attempt "delete parameter $AGENT_PARAMETER" aws ssm delete-parameter --name "$AGENT_PARAMETER"
fi

KEY_NAME=$(state_get KEY_NAME)
if [[ -n $KEY_NAME ]]; then
  log "3c. key pair $KEY_NAME"
  attempt "delete key pair $KEY_NAME" aws ec2 delete-key-pair --key-name "$KEY_NAME"
  rm -f "${STATE_FILE}.key.pem"
fi

RTB_ID=$(state_get RTB_ID)
if [[ -n $RTB_ID ]]; then
  log "3d. route table $RTB_ID"
  for association in $(listed "list the associations of $RTB_ID" aws ec2 describe-route-tables \
      --route-table-ids "$RTB_ID" --query 'RouteTables[0].Associations[].RouteTableAssociationId' --output text); do
    attempt "disassociate route table $association" aws ec2 disassociate-route-table --association-id "$association"
  done
  attempt "delete route table $RTB_ID" aws ec2 delete-route-table --route-table-id "$RTB_ID"
fi
IGW_ID=$(state_get IGW_ID)
if [[ -n $IGW_ID ]]; then
  log "3e. internet gateway $IGW_ID"
  attempt "detach internet gateway $IGW_ID" aws ec2 detach-internet-gateway --internet-gateway-id "$IGW_ID" --vpc-id "$(state_get VPC_ID)"
  attempt "delete internet gateway $IGW_ID" aws ec2 delete-internet-gateway --internet-gateway-id "$IGW_ID"
fi

for key in MONITOR_SG_ID SUBNET_ID VPC_ID; do
  id=$(state_get "$key")
  [[ -z $id ]] && continue
  log "4. delete $key $id"
  case $key in
    MONITOR_SG_ID) attempt "delete security group $id" aws ec2 delete-security-group --group-id "$id" ;;
    SUBNET_ID) attempt "delete subnet $id" aws ec2 delete-subnet --subnet-id "$id" ;;
    VPC_ID) attempt "delete VPC $id" aws ec2 delete-vpc --vpc-id "$id" ;;
  esac
done

if [[ ${#FAILED[@]} -gt 0 ]]; then
  RUN_ID=$(state_get RUN_ID)
  RUN_ID=${RUN_ID:-${LAB_RUN_ID:-manual}}
  log "teardown FAILED to remove ${#FAILED[@]} thing(s):"
  printf '  %s\n' "${FAILED[@]}" >&2
  log "still tagged lab:architecture=manual, lab:run-id=$RUN_ID (the tagging API's inventory):"
  if left=$(aws resourcegroupstaggingapi get-resources --tag-filters Key=lab:architecture,Values=manual \
      "Key=lab:run-id,Values=$RUN_ID" --query 'ResourceTagMappingList[].ResourceARN' --output text 2>&1); then
    [[ -z $left || $left == None ]] && left="(nothing the tagging API lists; IAM roles are not in it)"
    tr '\t' '\n' <<<"$left" | sed 's/^/  /' >&2
  else
    log "  the inventory could not be read: $left"
  fi
  log "the state file stays at $STATE_FILE: fix the cause and run teardown.sh again"
  exit 1
fi
rm -f "$STATE_FILE"
log "done"
