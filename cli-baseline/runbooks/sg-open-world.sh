#!/usr/bin/env bash
# Runbook sg-open-world, executable part: the CLI commands the on-call person runs (see sg-open-world.md).
# Usage: sg-open-world.sh [-h] GROUP_ID
set -euo pipefail
[[ ${1:-} == "-h" || $# -ne 1 ]] && { sed -n '2,3p' "$0" | sed 's/^# \{0,1\}//'; [[ ${1:-} == "-h" ]]; exit $?; }
GROUP_ID=$1

echo "# 1. Check: which permissions of $GROUP_ID are open to the world?"
open=$(aws ec2 describe-security-groups --group-ids "$GROUP_ID" \
  --query "SecurityGroups[0].IpPermissions[?IpRanges[?CidrIp=='0.0.0.0/0'] || Ipv6Ranges[?CidrIpv6=='::/0']].[IpProtocol,FromPort,ToPort]" \
  --output text)
echo "$open"

echo "# 2. Fix: revoke each of them, IPv4 and IPv6"
while read -r protocol from to; do
  [[ -z $protocol ]] && continue
  ports=""
  [[ $protocol != -1 && $from != None ]] && ports=",FromPort=$from,ToPort=$to"
  aws ec2 revoke-security-group-ingress --group-id "$GROUP_ID" \
    --ip-permissions "IpProtocol=$protocol$ports,IpRanges=[{CidrIp=0.0.0.0/0}]" >/dev/null 2>&1 || true
  aws ec2 revoke-security-group-ingress --group-id "$GROUP_ID" \
    --ip-permissions "IpProtocol=$protocol$ports,Ipv6Ranges=[{CidrIpv6=::/0}]" >/dev/null 2>&1 || true
done <<<"$open"

echo "# 3. Verify: nothing is open to the world any more"
left=$(aws ec2 describe-security-groups --group-ids "$GROUP_ID" \
  --query "length(SecurityGroups[0].IpPermissions[?IpRanges[?CidrIp=='0.0.0.0/0'] || Ipv6Ranges[?CidrIpv6=='::/0']])" \
  --output text)
[[ $left == 0 ]] || { echo "still open: $left permission(s)" >&2; exit 1; }
