#!/usr/bin/env bash
# Runbook instance-quarantine, executable part: the CLI commands the on-call person runs (see instance-quarantine.md).
# Usage: instance-quarantine.sh [-h] INSTANCE_ID
set -euo pipefail
[[ ${1:-} == "-h" || $# -ne 1 ]] && { sed -n '2,3p' "$0" | sed 's/^# \{0,1\}//'; [[ ${1:-} == "-h" ]]; exit $?; }
INSTANCE_ID=$1

echo "# 1. Check: the instance's VPC and volumes"
read -r VPC_ID < <(aws ec2 describe-instances --instance-ids "$INSTANCE_ID" \
  --query 'Reservations[0].Instances[0].VpcId' --output text)

echo "# 2. Isolate: a security group with no rule in or out, and nothing else on the instance"
GROUP_ID=$(aws ec2 describe-security-groups \
  --filters "Name=group-name,Values=quarantine-$INSTANCE_ID" "Name=vpc-id,Values=$VPC_ID" \
  --query 'SecurityGroups[0].GroupId' --output text)
if [ "$GROUP_ID" = "None" ]; then  # first isolation in this VPC (else reuse the group)
  GROUP_ID=$(aws ec2 create-security-group --group-name "quarantine-$INSTANCE_ID" \
    --description "Isolation of $INSTANCE_ID" --vpc-id "$VPC_ID" --query GroupId --output text)
fi
# A new group allows all egress; a reused one may still (revoking a rule that is not there fails).
if [ "$(aws ec2 describe-security-groups --group-ids "$GROUP_ID" \
    --query 'length(SecurityGroups[0].IpPermissionsEgress)' --output text)" != "0" ]; then
  aws ec2 revoke-security-group-egress --group-id "$GROUP_ID" \
    --ip-permissions 'IpProtocol=-1,IpRanges=[{CidrIp=0.0.0.0/0}]' >/dev/null
fi
aws ec2 modify-instance-attribute --instance-id "$INSTANCE_ID" --groups "$GROUP_ID"

echo "# 3. Preserve evidence: snapshot every attached volume"
for volume in $(aws ec2 describe-volumes --filters "Name=attachment.instance-id,Values=$INSTANCE_ID" \
    --query 'Volumes[].VolumeId' --output text); do
  aws ec2 create-snapshot --volume-id "$volume" --description "forensics $INSTANCE_ID" \
    --query SnapshotId --output text
done
