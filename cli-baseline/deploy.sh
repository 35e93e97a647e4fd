#!/usr/bin/env bash
# Build the manual, server-based monitoring architecture with the AWS CLI, step by step.
#
# Usage: deploy.sh [-h] [-s STATE_FILE] [-p PREFIX] [-e ALERT_EMAIL] [-m ALERT_PHONE]
#   -s  state file where created ids are written (default: ./.lab-manual-state.env)
#   -p  name prefix of every resource (default: lab-manual)
#   -e  e-mail address subscribed to the alert topic (default: $ALERT_EMAIL or security@example.com)
#   -m  on-call phone (E.164) the alert topic pages by SMS (default: $ALERT_PHONE; empty: no page)
#   -h  this help
# Environment: the usual AWS CLI variables (AWS_PROFILE / AWS_ENDPOINT_URL / AWS_DEFAULT_REGION),
#   LAB_RUN_ID (tag value), CRON_SCHEDULE (detector schedule, default "*/5 * * * *"),
#   DETECTORS (comma-separated, default all: cron = the polling scripts on the instance;
#   cis-alarms = a CloudTrail trail to S3 and CloudWatch Logs with the CIS metric filters and alarms;
#   guardduty = a detector whose findings EventBridge e-mails; config = AWS Config with the managed
#   rules, NON_COMPLIANT changes e-mailed; api-calls = an EventBridge rule per entry of the shared
#   detection list, lab/detections/catalog.yaml, e-mailing the API call whole). The instance, its
#   agent and its log alarms are always built.
# Idempotent: a step whose resource already exists (by Name tag or state file) reuses it.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$HERE/lib.sh"

STATE_FILE="./.lab-manual-state.env"
PREFIX="lab-manual"
EMAIL="${ALERT_EMAIL:-security@example.com}"
PHONE="${ALERT_PHONE:-}"
CRON_SCHEDULE="${CRON_SCHEDULE:-*/5 * * * *}"
INSTANCE_TYPE="t3.micro"
AGENT_PARAMETER="AmazonCloudWatch-lab"  # the name the account's instance bootstrap fetches
DETECTORS="${DETECTORS:-cron,cis-alarms,guardduty,config,api-calls}"
usage() { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; }
# has_detector NAME: whether DETECTORS includes NAME.
has_detector() { [[ ",$DETECTORS," == *",$1,"* ]]; }
while getopts "hs:p:e:m:" opt; do
  case $opt in
    h) usage; exit 0 ;;
    s) STATE_FILE=$OPTARG ;;
    p) PREFIX=$OPTARG ;;
    e) EMAIL=$OPTARG ;;
    m) PHONE=$OPTARG ;;
    *) usage >&2; exit 2 ;;
  esac
done
if [[ -n $PHONE && ! $PHONE =~ ^\+[1-9][0-9]{1,14}$ ]]; then  # refused before anything is built
  echo "deploy.sh: ALERT_PHONE must be an E.164 number (+ and up to 15 digits), not '$PHONE'" >&2
  exit 2
fi
# A step that fails stops the script (set -e): say what was built and how to remove it.
STEP="0. start"
on_exit() {
  local status=$?
  [[ $status -eq 0 ]] && return
  log "FAILED at step \"$STEP\" (exit $status). Built so far, recorded in $STATE_FILE:"
  [[ -f $STATE_FILE ]] && sed 's/^/    /' "$STATE_FILE" >&2
  log "rerun deploy.sh to finish (each step reuses what exists), or remove it all with:"
  log "    $HERE/teardown.sh -s $STATE_FILE"
}
trap on_exit EXIT
# log MESSAGE (lib.sh's), remembering the step a numbered message starts.
log() {
  [[ $1 =~ ^[0-9]+[a-z]?\. ]] && STEP=$1
  printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2
}
state_set PREFIX "$PREFIX"
state_set DETECTORS "$DETECTORS"
state_set RUN_ID "${LAB_RUN_ID:-manual}"
ACCOUNT_ID=$(aws sts get-caller-identity --query Account --output text)
REGION=${AWS_DEFAULT_REGION:-us-east-1}

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
  # A zone that offers the instance type: where AWS picks one that does not (us-east-1e has no
  # t3), RunInstances fails every time, since a rerun reuses the subnet.
  ZONE=$(aws ec2 describe-instance-type-offerings --location-type availability-zone \
    --filters "Name=instance-type,Values=$INSTANCE_TYPE" --query 'sort(InstanceTypeOfferings[].Location)[0]' \
    --output text)
  if [[ -z $(none_to_empty "$ZONE") ]]; then
    echo "deploy.sh: no Availability Zone of $REGION offers $INSTANCE_TYPE" >&2; exit 1
  fi
  SUBNET_ID=$(aws ec2 create-subnet --vpc-id "$VPC_ID" --cidr-block 10.42.0.0/24 \
    --availability-zone "$ZONE" --tag-specifications "ResourceType=subnet,Tags=[{Key=Name,Value=$PREFIX-subnet},$LAB_TAGS_SPEC]" \
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
# The route is of use only to an instance with a public IPv4 address (no inbound rule lets anything
# in; the detectors and the agent call the AWS APIs out through the gateway).
aws ec2 modify-subnet-attribute --subnet-id "$SUBNET_ID" --map-public-ip-on-launch

log "2c. Key pair (private key written beside the state file, mode 600): for SSH only if a person opens tcp/22 from their address; the instance is managed through SSM"
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
# A topic left by an earlier run carries that run's id: CreateTopic with other tags is refused
# ("Topic already exists with different tags"), so an existing topic is reused and retagged.
TOPIC_ARN=$(none_to_empty "$(aws sns list-topics \
  --query "Topics[?ends_with(TopicArn, ':$PREFIX-alerts')].TopicArn | [0]" --output text)")
if [[ -z $TOPIC_ARN ]]; then
  TOPIC_ARN=$(aws sns create-topic --name "$PREFIX-alerts" --tags "${LAB_TAGS_ARGS[@]}" \
    --query TopicArn --output text)
else
  aws sns tag-resource --resource-arn "$TOPIC_ARN" --tags "${LAB_TAGS_ARGS[@]}"
fi
state_set ALERT_TOPIC_ARN "$TOPIC_ARN"
if [[ -z $(none_to_empty "$(aws sns list-subscriptions-by-topic --topic-arn "$TOPIC_ARN" \
    --query "Subscriptions[?Endpoint=='$EMAIL'].SubscriptionArn | [0]" --output text)") ]]; then
  aws sns subscribe --topic-arn "$TOPIC_ARN" --protocol email --notification-endpoint "$EMAIL" >/dev/null
fi
state_set ALERT_EMAIL "$EMAIL"
if [[ -n $PHONE ]]; then  # the pager: the same alerts by SMS (a new account's SMS sandbox needs the number verified)
  if [[ -z $(none_to_empty "$(aws sns list-subscriptions-by-topic --topic-arn "$TOPIC_ARN" \
      --query "Subscriptions[?Protocol=='sms' && Endpoint=='$PHONE'].SubscriptionArn | [0]" --output text)") ]]; then
    aws sns subscribe --topic-arn "$TOPIC_ARN" --protocol sms --notification-endpoint "$PHONE" >/dev/null
  fi
fi
state_set ALERT_PHONE "$PHONE"

# fill FILE KEY=VALUE...: the policy document FILE with each __KEY__ replaced by its value.
fill() {
  local file=$1; shift
  local text; text=$(<"$file")
  for pair in "$@"; do text=${text//__${pair%%=*}__/${pair#*=}}; done
  printf '%s\n' "$text"
}

# ensure_role NAME TRUST_FILE: the IAM role NAME (tagged) trusting what TRUST_FILE says; created once.
ensure_role() {
  if ! aws iam get-role --role-name "$1" >/dev/null 2>&1; then
    # On a real account every role the lab creates carries its permissions boundary (README).
    aws iam create-role --role-name "$1" --assume-role-policy-document "$(fill "$2" "ACCOUNT=$ACCOUNT_ID")" \
      ${LAB_PERMISSIONS_BOUNDARY:+--permissions-boundary "$LAB_PERMISSIONS_BOUNDARY"} \
      --tags "${LAB_TAGS_ARGS[@]}" >/dev/null
  fi
}

log "5. IAM role and instance profile for the monitoring instance"
ROLE="$PREFIX-monitor-role"
ensure_role "$ROLE" "$HERE/policies/monitor-trust.json"
aws iam put-role-policy --role-name "$ROLE" --policy-name detectors \
  --policy-document "$(fill "$HERE/policies/monitor-permissions.json" "TOPIC_ARN=$TOPIC_ARN")"
# Managed through SSM (Session Manager, Run Command; no inbound rule): the agent, preinstalled on
# Amazon Linux 2023, registers only with this policy (Session Manager prerequisites).
aws iam attach-role-policy --role-name "$ROLE" \
  --policy-arn arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore
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
# EC2 takes at most 16 KB of user data (before base64); the bootstrap with its scripts is about
# 21 KB, so it goes gzip-compressed (about 7 KB), which cloud-init reads as it is.
USER_DATA="${STATE_FILE}.user-data.gz"
CRON_JOBS=$(has_detector cron && echo yes || echo no) \
  "$HERE/render-user-data.sh" "$TOPIC_ARN" "$CRON_SCHEDULE" "$AGENT_PARAMETER" | gzip -9n > "$USER_DATA"

log "7. The monitoring EC2 instance"
INSTANCE_ID=$(find_by_name instance "$PREFIX-monitor")
if [[ -z $INSTANCE_ID ]]; then
  AMI_ID=${AMI_ID:-$(aws ssm get-parameter \
    --name /aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64 \
    --query Parameter.Value --output text)}
  # IAM is eventually consistent: EC2 may not know the new instance profile yet ("Invalid IAM
  # Instance Profile name"); wait for it and retry, as AWS advises.
  aws iam wait instance-profile-exists --instance-profile-name "$ROLE"
  RUN_ERR="${STATE_FILE}.run-instances.err"
  for attempt in 1 2 3 4 5 6 7 8; do
    if INSTANCE_ID=$(aws ec2 run-instances --image-id "$AMI_ID" --instance-type "$INSTANCE_TYPE" \
        --subnet-id "$SUBNET_ID" --security-group-ids "$SG_ID" \
        --iam-instance-profile "Name=$ROLE" --user-data "fileb://$USER_DATA" --key-name "$KEY_NAME" \
        --metadata-options HttpTokens=required \
        --block-device-mappings "DeviceName=/dev/xvda,Ebs={VolumeSize=8,Encrypted=true}" \
        --tag-specifications "ResourceType=instance,Tags=[{Key=Name,Value=$PREFIX-monitor},$LAB_TAGS_SPEC]" "ResourceType=volume,Tags=[{Key=Name,Value=$PREFIX-monitor},$LAB_TAGS_SPEC]" \
        --query "Instances[0].InstanceId" --output text 2>"$RUN_ERR"); then
      break
    fi
    if [[ $attempt -eq 8 ]] || ! grep -q "Invalid IAM Instance Profile" "$RUN_ERR"; then
      cat "$RUN_ERR" >&2; rm -f "$RUN_ERR"; exit 1
    fi
    log "   the instance profile is not visible to EC2 yet; retrying in ${attempt}s"
    sleep "$attempt"
  done
  rm -f "$RUN_ERR"
fi
state_set INSTANCE_ID "$INSTANCE_ID"
rm -f "$USER_DATA"

if has_detector guardduty || has_detector config || has_detector cis-alarms; then
  log "8. Alert topic policy: EventBridge rules and CloudWatch alarms of this account may publish"
  aws sns set-topic-attributes --topic-arn "$TOPIC_ARN" --attribute-name Policy \
    --attribute-value "$(fill "$HERE/policies/alert-topic-policy.json" "ACCOUNT=$ACCOUNT_ID" "TOPIC_ARN=$TOPIC_ARN")"
fi

LOG_BUCKET="$PREFIX-logs-$ACCOUNT_ID"
TRAIL_NAME="$PREFIX-trail"
TRAIL_ARN="arn:aws:cloudtrail:$REGION:$ACCOUNT_ID:trail/$TRAIL_NAME"
if has_detector cis-alarms || has_detector config; then
  log "9. Log archive bucket (private, encrypted, versioned; CloudTrail and Config deliver to it)"
  if ! aws s3api head-bucket --bucket "$LOG_BUCKET" 2>/dev/null; then
    if [[ $REGION == us-east-1 ]]; then
      aws s3api create-bucket --bucket "$LOG_BUCKET" >/dev/null
    else
      aws s3api create-bucket --bucket "$LOG_BUCKET" \
        --create-bucket-configuration "LocationConstraint=$REGION" >/dev/null
    fi
  fi
  aws s3api put-bucket-tagging --bucket "$LOG_BUCKET" --tagging "TagSet=[$LAB_TAGS_SPEC]"
  aws s3api put-public-access-block --bucket "$LOG_BUCKET" --public-access-block-configuration \
    BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true
  aws s3api put-bucket-encryption --bucket "$LOG_BUCKET" --server-side-encryption-configuration \
    '{"Rules":[{"ApplyServerSideEncryptionByDefault":{"SSEAlgorithm":"AES256"},"BucketKeyEnabled":true}]}'
  aws s3api put-bucket-versioning --bucket "$LOG_BUCKET" --versioning-configuration Status=Enabled
  aws s3api put-bucket-policy --bucket "$LOG_BUCKET" --policy "$(fill "$HERE/policies/log-bucket-policy.json" \
    "BUCKET=$LOG_BUCKET" "ACCOUNT=$ACCOUNT_ID" "TRAIL_ARN=$TRAIL_ARN")"
  state_set LOG_BUCKET "$LOG_BUCKET"
fi

if has_detector cis-alarms; then
  log "10. CloudTrail trail to the bucket and to CloudWatch Logs, and the CIS monitoring alarms"
  TRAIL_GROUP=/lab/manual/cloudtrail
  if [[ $(aws logs describe-log-groups --log-group-name-prefix "$TRAIL_GROUP" \
      --query "length(logGroups[?logGroupName=='$TRAIL_GROUP'])" --output text) == 0 ]]; then
    aws logs create-log-group --log-group-name "$TRAIL_GROUP" --tags "lab:project=aws-serverless-security-monitoring,lab:architecture=manual,lab:run-id=${LAB_RUN_ID:-manual}"
  fi
  aws logs put-retention-policy --log-group-name "$TRAIL_GROUP" --retention-in-days 365
  TRAIL_GROUP_ARN="arn:aws:logs:$REGION:$ACCOUNT_ID:log-group:$TRAIL_GROUP"
  TRAIL_ROLE="$PREFIX-trail-to-logs"
  ensure_role "$TRAIL_ROLE" "$HERE/policies/cloudtrail-trust.json"
  aws iam put-role-policy --role-name "$TRAIL_ROLE" --policy-name deliver \
    --policy-document "$(fill "$HERE/policies/cloudtrail-to-logs.json" "LOG_GROUP_ARN=$TRAIL_GROUP_ARN")"
  state_set TRAIL_ROLE "$TRAIL_ROLE"
  TRAIL_ROLE_ARN=$(aws iam get-role --role-name "$TRAIL_ROLE" --query Role.Arn --output text)
  if [[ $(aws cloudtrail describe-trails --trail-name-list "$TRAIL_NAME" --query 'length(trailList)' --output text) == 0 ]]; then
    # CloudTrail checks the CloudWatch Logs role when the trail is created: a role IAM has not
    # propagated yet is InvalidCloudWatchLogsRoleArnException.
    retry_while_propagating InvalidCloudWatchLogsRoleArnException \
      aws cloudtrail create-trail --name "$TRAIL_NAME" --s3-bucket-name "$LOG_BUCKET" \
      --is-multi-region-trail --enable-log-file-validation --include-global-service-events \
      --cloud-watch-logs-log-group-arn "$TRAIL_GROUP_ARN:*" --cloud-watch-logs-role-arn "$TRAIL_ROLE_ARN" \
      --tags-list "${LAB_TAGS_ARGS[@]}" >/dev/null
  fi
  aws cloudtrail start-logging --name "$TRAIL_NAME"
  state_set TRAIL_NAME "$TRAIL_NAME"
  state_set TRAIL_GROUP "$TRAIL_GROUP"
  # The CIS controls as the serverless stack deploys them (one source: its filters.json).
  python3 -c 'import json, sys
for c in json.load(open(sys.argv[1]))["controls"]:
    print("\t".join([c["id"], c["metric"], c["cis"], c["title"], c["pattern"]]))' \
    "$HERE/../terraform/modules/cis_alarms/filters.json" |
  while IFS=$'\t' read -r id metric cis title pattern; do
    aws logs put-metric-filter --log-group-name "$TRAIL_GROUP" --filter-name "$PREFIX-cis-$id" \
      --filter-pattern "$pattern" \
      --metric-transformations "metricName=$metric,metricNamespace=CISBenchmark,metricValue=1,defaultValue=0"
    aws cloudwatch put-metric-alarm --alarm-name "$PREFIX-cis-$id" \
      --alarm-description "CIS AWS Foundations $cis: $title" --namespace CISBenchmark \
      --metric-name "$metric" --statistic Sum --period 300 --evaluation-periods 1 --threshold 1 \
      --comparison-operator GreaterThanOrEqualToThreshold --treat-missing-data notBreaching \
      --alarm-actions "$TOPIC_ARN" --tags "${LAB_TAGS_ARGS[@]}"
  done
fi

# event_rule_to_topic NAME DESCRIPTION PATTERN: an EventBridge rule that e-mails its events whole.
# An EventBridge target sets no SNS message structure (EventBridge API Reference, Target): a page
# from this rule is the same event (SNS sends at most 1,600 characters of it by SMS).
event_rule_to_topic() {
  aws events put-rule --name "$1" --description "$2" --event-pattern "$3" \
    --tags "${LAB_TAGS_ARGS[@]}" >/dev/null
  aws events put-targets --rule "$1" --targets "Id=alert-topic,Arn=$TOPIC_ARN" >/dev/null
  state_set EVENT_RULE_PREFIX "$PREFIX-"
}

if has_detector guardduty; then
  log "11. GuardDuty detector; EventBridge e-mails every finding (the event whole: the finding's resources for the runbook)"
  DETECTOR_ID=$(none_to_empty "$(aws guardduty list-detectors --query 'DetectorIds[0]' --output text)")
  if [[ -z $DETECTOR_ID ]]; then
    DETECTOR_ID=$(aws guardduty create-detector --enable --finding-publishing-frequency FIFTEEN_MINUTES \
      --tags "lab:project=aws-serverless-security-monitoring,lab:architecture=manual,lab:run-id=${LAB_RUN_ID:-manual}" \
      --query DetectorId --output text)
    state_set DETECTOR_CREATED "$DETECTOR_ID"
  fi
  state_set DETECTOR_ID "$DETECTOR_ID"
  event_rule_to_topic "$PREFIX-guardduty-findings" "GuardDuty findings, to the alert topic" \
    '{"source":["aws.guardduty"],"detail-type":["GuardDuty Finding"]}'
fi

if has_detector config; then
  log "12. AWS Config: recorder, delivery channel, the managed rules; EventBridge e-mails NON_COMPLIANT changes"
  RECORDER="$PREFIX-recorder"
  # A region has one recorder and one delivery channel at most, and an account that Organizations
  # or Control Tower set up has them already: adopted as they are (not changed, not deleted by
  # teardown.sh); the rules need it recording.
  EXISTING_RECORDER=$(none_to_empty "$(aws configservice describe-configuration-recorders \
    --query 'ConfigurationRecorders[0].name' --output text)")
  if [[ -n $EXISTING_RECORDER && $EXISTING_RECORDER != "$RECORDER" ]]; then
    log "   the account's recorder $EXISTING_RECORDER is adopted (it stays as it is after teardown)"
    RECORDING=$(aws configservice describe-configuration-recorder-status \
      --configuration-recorder-names "$EXISTING_RECORDER" \
      --query 'ConfigurationRecordersStatus[0].recording' --output text)
    [[ $RECORDING == True ]] || log "   WARNING: $EXISTING_RECORDER is not recording: the Config rules will evaluate nothing"
    state_set CONFIG_RECORDER_ADOPTED "$EXISTING_RECORDER"
  else
    CONFIG_ROLE="$PREFIX-config-recorder"
    ensure_role "$CONFIG_ROLE" "$HERE/policies/config-trust.json"
    aws iam attach-role-policy --role-name "$CONFIG_ROLE" \
      --policy-arn arn:aws:iam::aws:policy/service-role/AWS_ConfigRole
    state_set CONFIG_ROLE "$CONFIG_ROLE"
    CONFIG_ROLE_ARN=$(aws iam get-role --role-name "$CONFIG_ROLE" --query Role.Arn --output text)
    aws configservice put-configuration-recorder --configuration-recorder "name=$RECORDER,roleARN=$CONFIG_ROLE_ARN" \
      --recording-group allSupported=true,includeGlobalResourceTypes=true
    state_set CONFIG_RECORDER "$RECORDER"
    # Config writes a test object as the recorder's role when the channel is put: a role IAM has
    # not propagated yet is InsufficientDeliveryPolicyException.
    retry_while_propagating InsufficientDeliveryPolicyException \
      aws configservice put-delivery-channel --delivery-channel "name=$PREFIX-delivery,s3BucketName=$LOG_BUCKET"
    state_set CONFIG_DELIVERY "$PREFIX-delivery"
    aws configservice start-configuration-recorder --configuration-recorder-name "$RECORDER"
  fi
  # The managed rules the serverless stack deploys (one source: its rules.json).
  python3 -c 'import json, sys
prefix = sys.argv[2]
for r in json.load(open(sys.argv[1]))["rules"]:
    rule = {"ConfigRuleName": prefix + "-" + r["identifier"].lower().replace("_", "-"),
            "Description": r["description"],
            "Source": {"Owner": "AWS", "SourceIdentifier": r["identifier"]}}
    if r["parameters"]:
        rule["InputParameters"] = json.dumps(r["parameters"])
    if r["scope"]:
        rule["Scope"] = {"ComplianceResourceTypes": r["scope"]}
    if r["periodic"]:
        rule["MaximumExecutionFrequency"] = "TwentyFour_Hours"
    print(json.dumps(rule))' "$HERE/../terraform/modules/config/rules.json" "$PREFIX" |
  while read -r rule; do
    aws configservice put-config-rule --config-rule "$rule" --tags "${LAB_TAGS_ARGS[@]}"
  done
  state_set CONFIG_RULE_PREFIX "$PREFIX-"
  event_rule_to_topic "$PREFIX-config-noncompliant" "AWS Config rules finding a resource NON_COMPLIANT, to the alert topic" \
    '{"source":["aws.config"],"detail-type":["Config Rules Compliance Change"],"detail":{"newEvaluationResult":{"complianceType":["NON_COMPLIANT"]}}}'
fi

if has_detector api-calls; then
  log "13. EventBridge e-mails the API calls of the shared detection list (one rule per entry)"
  # The list every architecture deploys (the serverless stack sends the same rules to its Lambda).
  python3 -c 'import json, sys, yaml
for d in yaml.safe_load(open(sys.argv[1]))["detections"]:
    print(d["id"], d["title"], json.dumps(d["pattern"], separators=(",", ":")), sep="\t")' \
    "$HERE/../lab/detections/catalog.yaml" |
  while IFS=$'\t' read -r id title pattern; do
    event_rule_to_topic "$PREFIX-$id" "$title" "$pattern"
  done
fi

log "done: state in $STATE_FILE"
