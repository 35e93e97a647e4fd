#!/usr/bin/env bash
# Runbook snapshot-private, executable part: the CLI commands the on-call person runs (see snapshot-private.md).
# Usage: snapshot-private.sh [-h] ID   (an EBS snapshot snap-..., an AMI ami-..., or an RDS snapshot's name)
set -euo pipefail
[[ ${1:-} == "-h" || $# -ne 1 ]] && { sed -n '2,3p' "$0" | sed 's/^# \{0,1\}//'; [[ ${1:-} == "-h" ]]; exit $?; }
ID=$1

# shellcheck source=SCRIPTDIR/lib/allow-list.sh
source "$(dirname "$0")/lib/allow-list.sh"

echo "# 0. Check: is sharing $ID on the allow-list (the tag $ALLOW_TAG)?"
case $ID in
  snap-*) TAGS=$(aws ec2 describe-snapshots --snapshot-ids "$ID" --query "Snapshots[0].Tags[?Key=='$ALLOW_TAG'].Value" --output text) ;;
  ami-*) TAGS=$(aws ec2 describe-images --image-ids "$ID" --query "Images[0].Tags[?Key=='$ALLOW_TAG'].Value" --output text) ;;
  *) TAGS=$(aws rds list-tags-for-resource --resource-name "$(aws rds describe-db-snapshots --db-snapshot-identifier "$ID" \
      --query "DBSnapshots[0].DBSnapshotArn" --output text)" --query "TagList[?Key=='$ALLOW_TAG'].Value" --output text) ;;
esac
leave_if_allow_listed "$TAGS" "$ID" ModifySnapshotAttribute ModifyImageAttribute ModifyDBSnapshotAttribute

case $ID in
  snap-*)
    echo "# 1. Fix: remove the public (group all) create-volume permission"
    aws ec2 modify-snapshot-attribute --snapshot-id "$ID" --attribute createVolumePermission \
      --operation-type remove --group-names all
    echo "# 2. Verify"
    aws ec2 describe-snapshot-attribute --snapshot-id "$ID" --attribute createVolumePermission \
      --query 'CreateVolumePermissions' --output text
    ;;
  ami-*)
    echo "# 1. Fix: remove every launch permission of the AMI"
    granted=$(aws ec2 describe-image-attribute --image-id "$ID" --attribute launchPermission \
      --query 'LaunchPermissions' --output json)
    [[ $granted == "[]" ]] || aws ec2 modify-image-attribute --image-id "$ID" \
      --launch-permission "{\"Remove\": $granted}"
    echo "# 2. Verify"
    aws ec2 describe-image-attribute --image-id "$ID" --attribute launchPermission \
      --query 'LaunchPermissions' --output text
    ;;
  *)
    echo "# 1. Fix: remove every account from the RDS snapshot's restore attribute"
    found=$(aws rds describe-db-snapshot-attributes --db-snapshot-identifier "$ID" \
      --query "DBSnapshotAttributesResult.DBSnapshotAttributes[?AttributeName=='restore'].AttributeValues[]" \
      --output text)
    read -r -a granted <<<"$found"
    [[ ${#granted[@]} -eq 0 ]] || aws rds modify-db-snapshot-attribute --db-snapshot-identifier "$ID" \
      --attribute-name restore --values-to-remove "${granted[@]}" >/dev/null
    echo "# 2. Verify"
    aws rds describe-db-snapshot-attributes --db-snapshot-identifier "$ID" \
      --query "DBSnapshotAttributesResult.DBSnapshotAttributes[?AttributeName=='restore'].AttributeValues[]" \
      --output text
    ;;
esac
