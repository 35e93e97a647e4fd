#!/usr/bin/env bash
# Runbook instances-stop, executable part: the CLI commands the on-call person runs (see instances-stop.md).
# Usage: instances-stop.sh [-h] INSTANCE_TYPE
set -euo pipefail
[[ ${1:-} == "-h" || $# -ne 1 ]] && { sed -n '2,3p' "$0" | sed 's/^# \{0,1\}//'; [[ ${1:-} == "-h" ]]; exit $?; }
TYPE=$1

echo "# 1. Check: the account's running instances of type $TYPE"
found=$(aws ec2 describe-instances --filters "Name=instance-type,Values=$TYPE" \
  "Name=instance-state-name,Values=pending,running" \
  --query 'Reservations[].Instances[].InstanceId' --output text)
read -r -a ids <<<"$found"
[[ ${#ids[@]} -gt 0 ]] || { echo "none running"; exit 0; }

echo "# 2. Contain, keep the evidence: snapshot their volumes, then stop them (terminate only after the investigation)"
volumes=$(aws ec2 describe-instances --instance-ids "${ids[@]}" \
  --query 'Reservations[].Instances[].BlockDeviceMappings[].Ebs.VolumeId' --output text)
for volume in $volumes; do
  aws ec2 create-snapshot --volume-id "$volume" --description "evidence: $volume of a $TYPE instance" \
    --query SnapshotId --output text
done
aws ec2 stop-instances --instance-ids "${ids[@]}" >/dev/null

echo "# 3. Verify: none left running"
aws ec2 describe-instances --filters "Name=instance-type,Values=$TYPE" \
  "Name=instance-state-name,Values=pending,running" --query 'length(Reservations[].Instances[])' --output text
