#!/usr/bin/env bash
# Runbook iam-user-quarantine, executable part: the CLI commands the on-call person runs (see iam-user-quarantine.md).
# Usage: iam-user-quarantine.sh [-h] USER_NAME
set -euo pipefail
[[ ${1:-} == "-h" || $# -ne 1 ]] && { sed -n '2,3p' "$0" | sed 's/^# \{0,1\}//'; [[ ${1:-} == "-h" ]]; exit $?; }
USER_NAME=$1

# shellcheck source=SCRIPTDIR/lib/allow-list.sh
source "$(dirname "$0")/lib/allow-list.sh"

echo "# 0. Check: are the calls of $USER_NAME on the allow-list (the tag $ALLOW_TAG)?"
leave_if_allow_listed "$(aws iam list-user-tags --user-name "$USER_NAME" --query "Tags[?Key=='$ALLOW_TAG'].Value" --output text)" "user $USER_NAME" GetFederationToken SendCommand StartSession SendSSHPublicKey LeaveOrganization ConsoleLogin

echo "# 1. Contain: deny the user everything (AWSCompromisedKeyQuarantineV3 also denies the sessions and federation tokens it minted)"
aws iam attach-user-policy --user-name "$USER_NAME" \
  --policy-arn arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3

echo "# 2. Contain: deactivate every access key"
for key in $(aws iam list-access-keys --user-name "$USER_NAME" --query 'AccessKeyMetadata[].AccessKeyId' --output text); do
  aws iam update-access-key --user-name "$USER_NAME" --access-key-id "$key" --status Inactive
done

echo "# 3. Verify: the quarantine policy is attached"
aws iam list-attached-user-policies --user-name "$USER_NAME" --query 'AttachedPolicies[].PolicyName' --output text
