#!/usr/bin/env bash
# Runbook role-sessions-revoke, executable part: the CLI commands the on-call person runs (see role-sessions-revoke.md).
# Usage: role-sessions-revoke.sh [-h] ROLE_NAME
set -euo pipefail
[[ ${1:-} == "-h" || $# -ne 1 ]] && { sed -n '2,3p' "$0" | sed 's/^# \{0,1\}//'; [[ ${1:-} == "-h" ]]; exit $?; }
ROLE=$1
# The account's clock (the lab's runbook clock when it sets one).
NOW=$(date -u -d "@${LAB_NOW:-$(date +%s)}" +%Y-%m-%dT%H:%M:%SZ)

echo "# 1. Fix: deny every session of $ROLE issued before $NOW (what the console's 'Revoke active sessions' does)"
aws iam put-role-policy --role-name "$ROLE" --policy-name AWSRevokeOlderSessions --policy-document \
  "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Deny\",\"Action\":\"*\",\"Resource\":\"*\",\"Condition\":{\"DateLessThan\":{\"aws:TokenIssueTime\":\"$NOW\"}}}]}"

echo "# 2. Verify"
aws iam list-role-policies --role-name "$ROLE" --query PolicyNames --output text
