#!/usr/bin/env bash
# Runbook ssh-brute-force, executable part: the CLI commands the on-call person runs (see ssh-brute-force.md).
# Usage: ssh-brute-force.sh [-h] NETWORK_ACL_ID SOURCE_IP
set -euo pipefail
[[ ${1:-} == "-h" || $# -ne 2 ]] && { sed -n '2,3p' "$0" | sed 's/^# \{0,1\}//'; [[ ${1:-} == "-h" ]]; exit $?; }
NACL_ID=$1
SOURCE_IP=$2

echo "# 1. Fix: deny the source on tcp/22 in the subnet's network ACL, before the allow rules"
aws ec2 create-network-acl-entry --network-acl-id "$NACL_ID" --ingress --rule-number 50 \
  --protocol tcp --port-range From=22,To=22 --cidr-block "$SOURCE_IP/32" --rule-action deny

echo "# 2. Verify"
aws ec2 describe-network-acls --network-acl-ids "$NACL_ID" \
  --query "NetworkAcls[0].Entries[?RuleNumber==\`50\`].[RuleAction,CidrBlock]" --output text
