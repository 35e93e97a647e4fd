#!/usr/bin/env bash
# Runbook ssh-brute-force, executable part: the CLI commands the on-call person runs (see ssh-brute-force.md).
# Usage: ssh-brute-force.sh [-h] [NETWORK_ACL_ID|INSTANCE_ID SOURCE_IP]   (without arguments: found with Logs Insights)
set -euo pipefail
[[ ${1:-} == "-h" || ($# -ne 0 && $# -ne 2) ]] && { sed -n '2,3p' "$0" | sed 's/^# \{0,1\}//'; [[ ${1:-} == "-h" ]]; exit $?; }
LOG_GROUP=${LOG_GROUP:-/lab/manual/secure}
# LAB_NOW: the lab's virtual clock (epoch seconds) when the account is emulated; unset on AWS.
NOW=${LAB_NOW:-$(date +%s)}

if [[ $# -eq 2 && $1 == i-* ]]; then
  INSTANCE_ID=$1
  SOURCE_IP=$2
  echo "# 1. The subnet's network ACL of $INSTANCE_ID (the finding names the instance and the source)"
  SUBNET_ID=$(aws ec2 describe-instances --instance-ids "$INSTANCE_ID" \
    --query "Reservations[0].Instances[0].SubnetId" --output text)
  NACL_ID=$(aws ec2 describe-network-acls --filters "Name=association.subnet-id,Values=$SUBNET_ID" \
    --query "NetworkAcls[0].NetworkAclId" --output text)
elif [[ $# -eq 2 ]]; then
  NACL_ID=$1
  SOURCE_IP=$2
else
  echo "# 1. Diagnose with Logs Insights: who fails to log in, on which instance, in the last hour"
  QUERY_ID=$(aws logs start-query --log-group-name "$LOG_GROUP" \
    --start-time $((NOW - 3600)) --end-time $((NOW + 60)) \
    --query-string 'filter @message like /Invalid user|Connection closed by authenticating user/ | parse @message /(?<source>\d+\.\d+\.\d+\.\d+) port/ | stats count(*) as attempts by source, @logStream | sort attempts desc | limit 1' \
    --query queryId --output text)
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    STATUS=$(aws logs get-query-results --query-id "$QUERY_ID" --query status --output text)
    [[ $STATUS == Complete ]] && break
    sleep 1
  done
  ROW=$(aws logs get-query-results --query-id "$QUERY_ID" \
    --query "results[0][?field=='source' || field=='@logStream'].value" --output text)
  read -r SOURCE_IP INSTANCE_ID <<<"$ROW"
  [[ -n ${SOURCE_IP:-} && -n ${INSTANCE_ID:-} ]] || { echo "no failed logins found in $LOG_GROUP" >&2; exit 1; }
  echo "source $SOURCE_IP, instance $INSTANCE_ID"
  SUBNET_ID=$(aws ec2 describe-instances --instance-ids "$INSTANCE_ID" \
    --query "Reservations[0].Instances[0].SubnetId" --output text)
  NACL_ID=$(aws ec2 describe-network-acls --filters "Name=association.subnet-id,Values=$SUBNET_ID" \
    --query "NetworkAcls[0].NetworkAclId" --output text)
fi

echo "# 2. Fix: deny the source on tcp/22 in the subnet's network ACL, before the allow rules"
echo "#    (the lowest rule number free below them: a second source gets its own, never a collision)"
# shellcheck disable=SC2016  # the backticks are JMESPath's literals, not a command
INGRESS='NetworkAcls[0].Entries[?Egress==`false` && RuleNumber<`32767`]'
if [[ $(aws ec2 describe-network-acls --network-acl-ids "$NACL_ID" --output text \
    --query "length($INGRESS | [?CidrBlock=='$SOURCE_IP/32' && RuleAction=='deny'])") != 0 ]]; then
  echo "$SOURCE_IP/32 is denied already"
  exit 0
fi
read -r -a USED <<<"$(aws ec2 describe-network-acls --network-acl-ids "$NACL_ID" --output text \
  --query "$INGRESS.RuleNumber")"
FIRST_ALLOW=$(aws ec2 describe-network-acls --network-acl-ids "$NACL_ID" --output text \
  --query "min($INGRESS | [?RuleAction=='allow'].RuleNumber) || \`32767\`")
RULE=1
while [[ " ${USED[*]} " == *" $RULE "* ]]; do RULE=$((RULE + 1)); done
if [[ $RULE -ge $FIRST_ALLOW ]]; then
  echo "no free rule number below $FIRST_ALLOW in $NACL_ID" >&2
  exit 1
fi
aws ec2 create-network-acl-entry --network-acl-id "$NACL_ID" --ingress --rule-number "$RULE" \
  --protocol tcp --port-range From=22,To=22 --cidr-block "$SOURCE_IP/32" --rule-action deny

echo "# 3. Verify"
aws ec2 describe-network-acls --network-acl-ids "$NACL_ID" \
  --query "NetworkAcls[0].Entries[?RuleNumber==\`$RULE\`].[RuleAction,CidrBlock]" --output text
