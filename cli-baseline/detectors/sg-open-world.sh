#!/usr/bin/env bash
# Cron detector: security groups with ingress open to the whole Internet (0.0.0.0/0 or ::/0).
# Publishes one alert per newly opened group to $ALERT_TOPIC_ARN; a group is alerted again only after
# it was closed in between (state in $LAB_DETECTOR_STATE_DIR).
# Usage: sg-open-world.sh [-h]     Environment: ALERT_TOPIC_ARN (required), AWS CLI settings.
set -euo pipefail
[[ ${1:-} == "-h" ]] && { sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'; exit 0; }
: "${ALERT_TOPIC_ARN:?set ALERT_TOPIC_ARN to the alert topic}"
STATE_DIR=${LAB_DETECTOR_STATE_DIR:-/var/lib/lab-detectors}
SEEN="$STATE_DIR/sg-open-world.seen"
mkdir -p "$STATE_DIR"
touch "$SEEN"

open_groups=$(aws ec2 describe-security-groups \
  --query "SecurityGroups[?IpPermissions[?IpRanges[?CidrIp=='0.0.0.0/0'] || Ipv6Ranges[?CidrIpv6=='::/0']]].GroupId" \
  --output text | tr '\t' '\n' | sed '/^$/d;/^None$/d' | sort -u)

new_groups=$(comm -13 "$SEEN" <(printf '%s\n' "$open_groups" | sed '/^$/d'))
printf '%s\n' "$open_groups" | sed '/^$/d' > "$SEEN"

for group in $new_groups; do
  aws sns publish --topic-arn "$ALERT_TOPIC_ARN" \
    --subject "[lab-manual] Security group $group open to the Internet" \
    --message "Detector sg-open-world found security group $group with ingress open to 0.0.0.0/0 or ::/0.
Check its rules: aws ec2 describe-security-groups --group-ids $group
Runbook: cli-baseline/runbooks/sg-open-ssh.md (run: runbooks/sg-open-ssh.sh $group)" >/dev/null
  echo "alerted: $group"
done
