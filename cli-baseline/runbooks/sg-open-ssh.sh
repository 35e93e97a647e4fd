#!/usr/bin/env bash
# Runbook sg-open-ssh, executable part: the CLI commands the on-call person runs (see sg-open-ssh.md).
# Usage: sg-open-ssh.sh [-h] GROUP_ID
set -euo pipefail
[[ ${1:-} == "-h" || $# -ne 1 ]] && { sed -n '2,3p' "$0" | sed 's/^# \{0,1\}//'; [[ ${1:-} == "-h" ]]; exit $?; }
GROUP_ID=$1

echo "# 1. Check: what is open to the world on $GROUP_ID?"
aws ec2 describe-security-groups --group-ids "$GROUP_ID" \
  --query "SecurityGroups[0].IpPermissions[?IpRanges[?CidrIp=='0.0.0.0/0']].[IpProtocol,FromPort,ToPort]" \
  --output text

echo "# 2. Fix: revoke SSH (tcp/22) from 0.0.0.0/0"
aws ec2 revoke-security-group-ingress --group-id "$GROUP_ID" \
  --protocol tcp --port 22 --cidr 0.0.0.0/0 >/dev/null

echo "# 3. Verify: nothing on tcp/22 is open to the world any more"
aws ec2 describe-security-groups --group-ids "$GROUP_ID" \
  --query "SecurityGroups[0].IpPermissions[?FromPort==\`22\` && IpRanges[?CidrIp=='0.0.0.0/0']]" \
  --output text
