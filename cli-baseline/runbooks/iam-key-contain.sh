#!/usr/bin/env bash
# Runbook iam-key-contain, executable part: the CLI commands the on-call person runs (see iam-key-contain.md).
# Usage: iam-key-contain.sh [-h] USER_NAME ACCESS_KEY_ID
set -euo pipefail
[[ ${1:-} == "-h" || $# -ne 2 ]] && { sed -n '2,3p' "$0" | sed 's/^# \{0,1\}//'; [[ ${1:-} == "-h" ]]; exit $?; }
USER_NAME=$1
KEY_ID=$2
# The account's clock (the lab's runbook clock when it sets one).
NOW=$(date -u -d "@${LAB_NOW:-$(date +%s)}" +%Y-%m-%dT%H:%M:%SZ)

# shellcheck source=SCRIPTDIR/lib/allow-list.sh
source "$(dirname "$0")/lib/allow-list.sh"

echo "# 0. Check: is a key for $USER_NAME on the allow-list (the tag $ALLOW_TAG)?"
leave_if_allow_listed "$(aws iam list-user-tags --user-name "$USER_NAME" --query "Tags[?Key=='$ALLOW_TAG'].Value" --output text)" "user $USER_NAME" CreateAccessKey

echo "# 1. Check: when was $KEY_ID last used?"
aws iam get-access-key-last-used --access-key-id "$KEY_ID" --output text || true

echo "# 2. Contain: deactivate the key (kept for the investigation: delete it once the owner confirms),"
echo "#    and deny the session tokens it may already have made (GetSessionToken outlives the key)"
aws iam update-access-key --user-name "$USER_NAME" --access-key-id "$KEY_ID" --status Inactive
aws iam put-user-policy --user-name "$USER_NAME" --policy-name RevokeOlderSessions --policy-document \
  "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"DateLessThan\":{\"aws:TokenIssueTime\":\"$NOW\"}}}]}"

echo "# 3. Verify"
aws iam list-access-keys --user-name "$USER_NAME" --query 'AccessKeyMetadata[].[AccessKeyId,Status]' --output text
