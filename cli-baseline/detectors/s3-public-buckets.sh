#!/usr/bin/env bash
# Cron detector: S3 buckets that are public or have lost their public access block: a grant to
# AllUsers / AuthenticatedUsers, a policy S3 evaluates as public, or a bucket-level public access
# block missing or not fully on. One alert per bucket, naming its new problems.
# Usage: s3-public-buckets.sh [-h]     Environment: ALERT_TOPIC_ARN, AWS CLI settings.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib/alert.sh
source "$(dirname "$0")/lib/alert.sh"
[[ ${1:-} == "-h" ]] && { usage "$0"; exit 0; }

findings=()
buckets=$(aws s3api list-buckets --query 'Buckets[].Name' --output text)  # an error stops the run
for bucket in $(words "$buckets"); do
  blocked=$(aws s3api get-public-access-block --bucket "$bucket" \
    --query "PublicAccessBlockConfiguration.[BlockPublicAcls,IgnorePublicAcls,BlockPublicPolicy,RestrictPublicBuckets]" \
    --output text 2>/dev/null || echo missing)
  # Fully blocked: S3 ignores public ACLs and restricts public policies, nothing else to check.
  [[ $blocked == $'True\tTrue\tTrue\tTrue' ]] && continue
  findings+=("$bucket:no-public-access-block")
  grants=$(aws s3api get-bucket-acl --bucket "$bucket" \
    --query "length(Grants[?contains(['http://acs.amazonaws.com/groups/global/AllUsers','http://acs.amazonaws.com/groups/global/AuthenticatedUsers'], Grantee.URI || '')])" \
    --output text)
  [[ $grants != 0 ]] && findings+=("$bucket:public-acl")
  public=$(aws s3api get-bucket-policy-status --bucket "$bucket" \
    --query PolicyStatus.IsPublic --output text 2>/dev/null || echo False)
  [[ $public == True ]] && findings+=("$bucket:public-policy")
done
new=$(printf '%s\n' "${findings[@]}" | new_findings s3-public-buckets)
# One alert per bucket, naming every new problem it has.
while read -r bucket; do
  [[ -z $bucket ]] && continue
  problems=$(grep "^$bucket:" <<<"$new" | cut -d: -f2 | paste -sd, -)
  alert "S3 bucket $bucket: $problems" \
    "Detector s3-public-buckets found bucket $bucket with: $problems.
Check: aws s3api get-bucket-acl --bucket $bucket; aws s3api get-bucket-policy-status --bucket $bucket
Runbook: cli-baseline/runbooks/s3-public-bucket.md (run: runbooks/s3-public-bucket.sh $bucket)"
done < <(cut -d: -f1 <<<"$new" | sort -u)
