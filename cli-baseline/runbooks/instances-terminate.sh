#!/usr/bin/env bash
# Runbook instances-terminate, executable part: the CLI commands the on-call person runs (see instances-terminate.md).
# Usage: instances-terminate.sh [-h] INSTANCE_TYPE
set -euo pipefail
[[ ${1:-} == "-h" || $# -ne 1 ]] && { sed -n '2,3p' "$0" | sed 's/^# \{0,1\}//'; [[ ${1:-} == "-h" ]]; exit $?; }
TYPE=$1

echo "# 1. Check: the account's instances of type $TYPE"
found=$(aws ec2 describe-instances --filters "Name=instance-type,Values=$TYPE" \
  "Name=instance-state-name,Values=pending,running,stopping,stopped" \
  --query 'Reservations[].Instances[].InstanceId' --output text)
read -r -a ids <<<"$found"
[[ ${#ids[@]} -gt 0 ]] || { echo "none left"; exit 0; }

echo "# 2. Fix: terminate them (the workload uses no $TYPE)"
aws ec2 terminate-instances --instance-ids "${ids[@]}" >/dev/null

echo "# 3. Verify: none left running"
aws ec2 describe-instances --filters "Name=instance-type,Values=$TYPE" \
  "Name=instance-state-name,Values=pending,running" --query 'length(Reservations[].Instances[])' --output text
