#!/usr/bin/env bash
# Runbook s3-public-bucket, executable part: the CLI commands the on-call person runs (see s3-public-bucket.md).
# Usage: s3-public-bucket.sh [-h] BUCKET
set -euo pipefail
[[ ${1:-} == "-h" || $# -ne 1 ]] && { sed -n '2,3p' "$0" | sed 's/^# \{0,1\}//'; [[ ${1:-} == "-h" ]]; exit $?; }
BUCKET=$1

echo "# 1. Check: grants, policy status and public access block of $BUCKET"
aws s3api get-bucket-acl --bucket "$BUCKET" --query 'Grants[].Grantee.[Type,URI]' --output text

echo "# 2. Fix: private ACL, no public statement, ACLs disabled, public access fully blocked"
aws s3api put-bucket-acl --bucket "$BUCKET" --acl private
if [[ $(aws s3api get-bucket-policy-status --bucket "$BUCKET" --query PolicyStatus.IsPublic --output text 2>/dev/null || echo False) == True ]]; then
  aws s3api delete-bucket-policy --bucket "$BUCKET"
fi
aws s3api put-public-access-block --bucket "$BUCKET" --public-access-block-configuration \
  BlockPublicAcls=true,IgnorePublicAcls=true,BlockPublicPolicy=true,RestrictPublicBuckets=true
aws s3api put-bucket-ownership-controls --bucket "$BUCKET" \
  --ownership-controls 'Rules=[{ObjectOwnership=BucketOwnerEnforced}]'

echo "# 3. Verify"
aws s3api get-public-access-block --bucket "$BUCKET" --output text
