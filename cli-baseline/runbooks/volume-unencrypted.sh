#!/usr/bin/env bash
# Runbook volume-unencrypted, executable part: the CLI commands the on-call person runs (see volume-unencrypted.md).
# Usage: volume-unencrypted.sh [-h] VOLUME_ID
set -euo pipefail
[[ ${1:-} == "-h" || $# -ne 1 ]] && { sed -n '2,3p' "$0" | sed 's/^# \{0,1\}//'; [[ ${1:-} == "-h" ]]; exit $?; }
VOLUME_ID=$1

echo "# 1. Check: attached? encrypted?"
read -r STATE ENCRYPTED SIZE < <(aws ec2 describe-volumes --volume-ids "$VOLUME_ID" \
  --query 'Volumes[0].[State,Encrypted,Size]' --output text)
echo "$STATE $ENCRYPTED $SIZE GiB"
[[ $ENCRYPTED == False ]] || { echo "$VOLUME_ID is encrypted: nothing to do"; exit 0; }

echo "# 2. Keep the data (snapshot), delete the unencrypted volume, make encryption the default"
aws ec2 create-snapshot --volume-id "$VOLUME_ID" --description "before deleting unencrypted $VOLUME_ID" \
  --query SnapshotId --output text
aws ec2 delete-volume --volume-id "$VOLUME_ID"
aws ec2 enable-ebs-encryption-by-default --query EbsEncryptionByDefault --output text
