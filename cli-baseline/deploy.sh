#!/usr/bin/env bash
# Build the manual, server-based monitoring architecture with the AWS CLI, step by step.
#
# Usage: deploy.sh [-h] [-s STATE_FILE] [-p PREFIX] [-e ALERT_EMAIL]
#   -s  state file where created ids are written (default: ./.lab-manual-state.env)
#   -p  name prefix of every resource (default: lab-manual)
#   -e  e-mail address subscribed to the alert topic (default: $ALERT_EMAIL or security@example.com)
#   -h  this help
# Environment: the usual AWS CLI variables (AWS_PROFILE / AWS_ENDPOINT_URL / AWS_DEFAULT_REGION),
#   LAB_RUN_ID (tag value), CRON_SCHEDULE (detector schedule, default "*/5 * * * *").
# Idempotent: a step whose resource already exists (by Name tag or state file) reuses it.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$HERE/lib.sh"

STATE_FILE="./.lab-manual-state.env"
PREFIX="lab-manual"
EMAIL="${ALERT_EMAIL:-security@example.com}"
CRON_SCHEDULE="${CRON_SCHEDULE:-*/5 * * * *}"
AGENT_PARAMETER="AmazonCloudWatch-lab"  # the name the account's instance bootstrap fetches
usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; }
while getopts "hs:p:e:" opt; do
  case $opt in
    h) usage; exit 0 ;;
    s) STATE_FILE=$OPTARG ;;
    p) PREFIX=$OPTARG ;;
    e) EMAIL=$OPTARG ;;
    *) usage >&2; exit 2 ;;
  esac
done
state_set PREFIX "$PREFIX"

# find_by_name RESOURCE_KIND NAME: id of a tagged EC2 resource with this Name, or empty.
find_by_name() {
  local kind=$1 name=$2 query
  case $kind in
    vpc) query="Vpcs[0].VpcId"; cmd=describe-vpcs ;;
    subnet) query="Subnets[0].SubnetId"; cmd=describe-subnets ;;
    security-group) query="SecurityGroups[0].GroupId"; cmd=describe-security-groups ;;
    instance) query="Reservations[0].Instances[0].InstanceId"; cmd=describe-instances ;;
  esac
  local extra=()
  [[ $kind == instance ]] && extra=(--filters "Name=tag:Name,Values=$name" "Name=instance-state-name,Values=pending,running,stopped")
  [[ $kind != instance ]] && extra=(--filters "Name=tag:Name,Values=$name")
  none_to_empty "$(aws ec2 "$cmd" "${extra[@]}" --query "$query" --output text)"
}

log "1. VPC"
VPC_ID=$(find_by_name vpc "$PREFIX-vpc")
if [[ -z $VPC_ID ]]; then
  VPC_ID=$(aws ec2 create-vpc --cidr-block 10.42.0.0/16 \
    --tag-specifications "ResourceType=vpc,Tags=[{Key=Name,Value=$PREFIX-vpc},{Key=lab:workload,Value=true},$LAB_TAGS_SPEC]" \
    --query Vpc.VpcId --output text)
fi
state_set VPC_ID "$VPC_ID"

log "2. Subnet"
SUBNET_ID=$(find_by_name subnet "$PREFIX-subnet")
if [[ -z $SUBNET_ID ]]; then
  SUBNET_ID=$(aws ec2 create-subnet --vpc-id "$VPC_ID" --cidr-block 10.42.0.0/24 \
    --tag-specifications "ResourceType=subnet,Tags=[{Key=Name,Value=$PREFIX-subnet},$LAB_TAGS_SPEC]" \
    --query Subnet.SubnetId --output text)
fi
state_set SUBNET_ID "$SUBNET_ID"

log "2b. Internet gateway and route table (the instance reaches the AWS APIs over HTTPS)"
IGW_ID=$(none_to_empty "$(aws ec2 describe-internet-gateways --filters "Name=tag:Name,Values=$PREFIX-igw" \
  --query 'InternetGateways[0].InternetGatewayId' --output text)")
if [[ -z $IGW_ID ]]; then
  IGW_ID=$(aws ec2 create-internet-gateway \
    --tag-specifications "ResourceType=internet-gateway,Tags=[{Key=Name,Value=$PREFIX-igw},$LAB_TAGS_SPEC]" \
    --query InternetGateway.InternetGatewayId --output text)
  aws ec2 attach-internet-gateway --internet-gateway-id "$IGW_ID" --vpc-id "$VPC_ID"
fi
state_set IGW_ID "$IGW_ID"
RTB_ID=$(none_to_empty "$(aws ec2 describe-route-tables --filters "Name=tag:Name,Values=$PREFIX-rtb" \
  --query 'RouteTables[0].RouteTableId' --output text)")
if [[ -z $RTB_ID ]]; then
  RTB_ID=$(aws ec2 create-route-table --vpc-id "$VPC_ID" \
    --tag-specifications "ResourceType=route-table,Tags=[{Key=Name,Value=$PREFIX-rtb},$LAB_TAGS_SPEC]" \
    --query RouteTable.RouteTableId --output text)
  aws ec2 create-route --route-table-id "$RTB_ID" --destination-cidr-block 0.0.0.0/0 \
    --gateway-id "$IGW_ID" >/dev/null
  aws ec2 associate-route-table --route-table-id "$RTB_ID" --subnet-id "$SUBNET_ID" >/dev/null
fi
state_set RTB_ID "$RTB_ID"

log "2c. Key pair for break-glass SSH (private key written beside the state file, mode 600)"
KEY_NAME="$PREFIX-key"
if [[ $(aws ec2 describe-key-pairs --filters "Name=key-name,Values=$KEY_NAME" \
    --query 'length(KeyPairs)' --output text) == 0 ]]; then
  aws ec2 create-key-pair --key-name "$KEY_NAME" --key-type ed25519 \
    --tag-specifications "ResourceType=key-pair,Tags=[$LAB_TAGS_SPEC]" \
    --query KeyMaterial --output text > "${STATE_FILE}.key.pem"
  chmod 600 "${STATE_FILE}.key.pem"
fi
state_set KEY_NAME "$KEY_NAME"

log "3. Security group of the monitoring instance (no inbound rules: managed through SSM)"
SG_ID=$(find_by_name security-group "$PREFIX-monitor-sg")
if [[ -z $SG_ID ]]; then
  SG_ID=$(aws ec2 create-security-group --group-name "$PREFIX-monitor-sg" \
    --description "Lab monitoring instance: egress only" --vpc-id "$VPC_ID" \
    --tag-specifications "ResourceType=security-group,Tags=[{Key=Name,Value=$PREFIX-monitor-sg},$LAB_TAGS_SPEC]" \
    --query GroupId --output text)
fi
state_set MONITOR_SG_ID "$SG_ID"

log "4. SNS alert topic and e-mail subscription"
TOPIC_ARN=$(aws sns create-topic --name "$PREFIX-alerts" --tags "${LAB_TAGS_ARGS[@]}" \
  --query TopicArn --output text)
state_set ALERT_TOPIC_ARN "$TOPIC_ARN"
if [[ -z $(none_to_empty "$(aws sns list-subscriptions-by-topic --topic-arn "$TOPIC_ARN" \
    --query "Subscriptions[?Endpoint=='$EMAIL'].SubscriptionArn | [0]" --output text)") ]]; then
  aws sns subscribe --topic-arn "$TOPIC_ARN" --protocol email --notification-endpoint "$EMAIL" >/dev/null
fi
state_set ALERT_EMAIL "$EMAIL"

log "5. IAM role and instance profile for the monitoring instance"
ROLE="$PREFIX-monitor-role"
if ! aws iam get-role --role-name "$ROLE" >/dev/null 2>&1; then
  aws iam create-role --role-name "$ROLE" \
    --assume-role-policy-document "file://$HERE/policies/monitor-trust.json" \
    --tags "${LAB_TAGS_ARGS[@]}" >/dev/null
fi
sed "s|__TOPIC_ARN__|$TOPIC_ARN|" "$HERE/policies/monitor-permissions.json" > "${STATE_FILE}.policy.json"
aws iam put-role-policy --role-name "$ROLE" --policy-name detectors \
  --policy-document "file://${STATE_FILE}.policy.json"
rm -f "${STATE_FILE}.policy.json"
if ! aws iam get-instance-profile --instance-profile-name "$ROLE" >/dev/null 2>&1; then
  aws iam create-instance-profile --instance-profile-name "$ROLE" --tags "${LAB_TAGS_ARGS[@]}" >/dev/null
  aws iam add-role-to-instance-profile --instance-profile-name "$ROLE" --role-name "$ROLE"
fi
state_set MONITOR_ROLE "$ROLE"

log "5b. CloudWatch agent configuration (every instance's bootstrap fetches it), log groups, metric filters and alarms"
aws ssm put-parameter --name "$AGENT_PARAMETER" --type String --overwrite \
  --description "CloudWatch agent configuration of the account's instances (lab manual architecture)" \
  --value "file://$HERE/agent/amazon-cloudwatch-agent.json" >/dev/null
state_set AGENT_PARAMETER "$AGENT_PARAMETER"
for group in /lab/manual/secure /lab/manual/messages /lab/manual/app /lab/manual/detectors; do
  if [[ $(aws logs describe-log-groups --log-group-name-prefix "$group" \
      --query "length(logGroups[?logGroupName=='$group'])" --output text) == 0 ]]; then
    aws logs create-log-group --log-group-name "$group" --tags "lab:project=aws-serverless-security-monitoring,lab:architecture=manual,lab:run-id=${LAB_RUN_ID:-manual}"
  fi
  aws logs put-retention-policy --log-group-name "$group" --retention-in-days 30
done
while IFS=$'\t' read -r group name pattern metric threshold description; do
  [[ -z $group || $group == \#* ]] && continue
  aws logs put-metric-filter --log-group-name "$group" --filter-name "$PREFIX-$name" \
    --filter-pattern "$pattern" \
    --metric-transformations "metricName=$metric,metricNamespace=LabManual,metricValue=1,defaultValue=0"
  aws cloudwatch put-metric-alarm --alarm-name "$PREFIX-$name" --alarm-description "$description" \
    --namespace LabManual --metric-name "$metric" --statistic Sum --period 300 \
    --evaluation-periods 1 --threshold "$threshold" --comparison-operator GreaterThanOrEqualToThreshold \
    --treat-missing-data notBreaching --alarm-actions "$TOPIC_ARN" --tags "${LAB_TAGS_ARGS[@]}"
done < "$HERE/agent/metric-filters.tsv"
state_set ALARM_PREFIX "$PREFIX-"

log "6. User data: CloudWatch agent, detector scripts and their cron schedule"
USER_DATA="${STATE_FILE}.user-data.sh"
"$HERE/render-user-data.sh" "$TOPIC_ARN" "$CRON_SCHEDULE" "$AGENT_PARAMETER" > "$USER_DATA"

log "7. The monitoring EC2 instance"
INSTANCE_ID=$(find_by_name instance "$PREFIX-monitor")
if [[ -z $INSTANCE_ID ]]; then
  AMI_ID=${AMI_ID:-$(aws ssm get-parameter \
    --name /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64 \
    --query Parameter.Value --output text)}
  INSTANCE_ID=$(aws ec2 run-instances --image-id "$AMI_ID" --instance-type t3.micro \
    --subnet-id "$SUBNET_ID" --security-group-ids "$SG_ID" \
    --iam-instance-profile "Name=$ROLE" --user-data "file://$USER_DATA" --key-name "$KEY_NAME" \
    --metadata-options HttpTokens=required \
    --block-device-mappings "DeviceName=/dev/xvda,Ebs={VolumeSize=8,Encrypted=true}" \
    --tag-specifications "ResourceType=instance,Tags=[{Key=Name,Value=$PREFIX-monitor},$LAB_TAGS_SPEC]" "ResourceType=volume,Tags=[{Key=Name,Value=$PREFIX-monitor},$LAB_TAGS_SPEC]" \
    --query "Instances[0].InstanceId" --output text)
fi
state_set INSTANCE_ID "$INSTANCE_ID"
rm -f "$USER_DATA"

log "done: state in $STATE_FILE"
