#!/usr/bin/env bash
# Cron detector: security groups with ingress open to the whole Internet (0.0.0.0/0 or ::/0).
# One alert per newly opened group.
# Usage: sg-open-world.sh [-h]     Environment: ALERT_TOPIC_ARN, AWS CLI settings.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib/alert.sh
source "$(dirname "$0")/lib/alert.sh"
[[ ${1:-} == "-h" ]] && { usage "$0"; exit 0; }

open=$(aws ec2 describe-security-groups \
  --query "SecurityGroups[?IpPermissions[?IpRanges[?CidrIp=='0.0.0.0/0'] || Ipv6Ranges[?CidrIpv6=='::/0']]].GroupId" \
  --output text)
for group in $(words "$open" | new_findings sg-open-world); do
  alert "Security group $group open to the Internet" \
    "Detector sg-open-world found security group $group with ingress open to 0.0.0.0/0 or ::/0.
Check its rules: aws ec2 describe-security-groups --group-ids $group
Runbook: cli-baseline/runbooks/sg-open-world.md (run: runbooks/sg-open-world.sh $group)"
done
