#!/usr/bin/env bash
# Runbook lambda-code-restore, executable part: the CLI commands the on-call person runs (see lambda-code-restore.md).
# Usage: lambda-code-restore.sh [-h] FUNCTION_NAME
set -euo pipefail
[[ ${1:-} == "-h" || $# -ne 1 ]] && { sed -n '2,3p' "$0" | sed 's/^# \{0,1\}//'; [[ ${1:-} == "-h" ]]; exit $?; }
FUNCTION=$1

deploys() {  # the function's deploys of one kind in the event history, as JSON
  aws cloudtrail lookup-events --lookup-attributes "AttributeKey=EventName,AttributeValue=$1" \
    --query "Events[?contains(CloudTrailEvent, '\"$FUNCTION\"')].CloudTrailEvent" --output json
}

echo "# 1. Check: the code deployed now, and the last package the pipeline deployed (from its bucket)"
aws lambda get-function-configuration --function-name "$FUNCTION" --query CodeSha256 --output text
read -r BUCKET KEY < <(python3 -c 'import json, sys
# The newest deploy of the function from a bucket: a package sent inline leaves nothing to read back.
sources = []
for events in sys.argv[2:]:
    for event in map(json.loads, json.loads(events)):
        request = event.get("requestParameters") or {}
        code = request.get("code") or request
        if request.get("functionName") == sys.argv[1] and code.get("s3Bucket"):
            sources.append((event["eventTime"], code["s3Bucket"], code["s3Key"]))
print(*(max(sources)[1:] if sources else ("-", "-")))' \
  "$FUNCTION" "$(deploys CreateFunction20150331)" "$(deploys UpdateFunctionCode20150331v2)")
[[ $BUCKET != - ]] || { echo "no deploy of $FUNCTION from a bucket in the event history: redeploy it from the pipeline" >&2; exit 1; }
echo "last package the pipeline deployed: s3://$BUCKET/$KEY"

echo "# 2. Fix: deploy that package again"
aws lambda update-function-code --function-name "$FUNCTION" --s3-bucket "$BUCKET" --s3-key "$KEY" \
  --query CodeSha256 --output text

echo "# 3. Verify: the code's SHA-256 now"
aws lambda get-function-configuration --function-name "$FUNCTION" --query CodeSha256 --output text
