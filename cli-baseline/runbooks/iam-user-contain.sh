#!/usr/bin/env bash
# Runbook iam-user-contain, executable part: the CLI commands the on-call person runs (see iam-user-contain.md).
# Usage: iam-user-contain.sh [-h] USER_NAME
set -euo pipefail
[[ ${1:-} == "-h" || $# -ne 1 ]] && { sed -n '2,3p' "$0" | sed 's/^# \{0,1\}//'; [[ ${1:-} == "-h" ]]; exit $?; }
USER_NAME=$1
NOW=$(date -u -d "@${LAB_NOW:-$(date +%s)}" +%Y-%m-%dT%H:%M:%SZ)

# shellcheck source=SCRIPTDIR/lib/allow-list.sh
source "$(dirname "$0")/lib/allow-list.sh"

echo "# 0. Check: are changes to $USER_NAME on the allow-list (the tag $ALLOW_TAG)?"
leave_if_allow_listed "$(aws iam list-user-tags --user-name "$USER_NAME" --query "Tags[?Key=='$ALLOW_TAG'].Value" --output text)" "user $USER_NAME" CreateUser CreateLoginProfile UpdateLoginProfile CreateAccessKey AttachUserPolicy

echo "# 1. Check: policies and keys of $USER_NAME"
attached=$(aws iam list-attached-user-policies --user-name "$USER_NAME" --query 'AttachedPolicies[].PolicyArn' --output text)
echo "$attached"

echo "# 2. Contain: deactivate every access key, detach AdministratorAccess, remove console access"
for key in $(aws iam list-access-keys --user-name "$USER_NAME" --query 'AccessKeyMetadata[].AccessKeyId' --output text); do
  aws iam update-access-key --user-name "$USER_NAME" --access-key-id "$key" --status Inactive
done
if [[ $attached == *arn:aws:iam::aws:policy/AdministratorAccess* ]]; then
  aws iam detach-user-policy --user-name "$USER_NAME" --policy-arn arn:aws:iam::aws:policy/AdministratorAccess
fi
aws iam delete-login-profile --user-name "$USER_NAME" 2>/dev/null || true
# Session tokens made before containment keep working otherwise (GetSessionToken outlives the keys).
aws iam put-user-policy --user-name "$USER_NAME" --policy-name RevokeOlderSessions --policy-document \
  "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"DateLessThan\":{\"aws:TokenIssueTime\":\"$NOW\"}}}]}"

echo "# 3. Verify: no AdministratorAccess, no active key (delete the user once the owner confirms)"
aws iam list-attached-user-policies --user-name "$USER_NAME" --output text
