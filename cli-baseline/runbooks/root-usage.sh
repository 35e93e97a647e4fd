#!/usr/bin/env bash
# Runbook root-usage, executable part: the CLI commands the on-call person runs (see root-usage.md).
# Usage: root-usage.sh [-h] 
set -euo pipefail
[[ ${1:-} == "-h" || $# -ne 0 ]] && { sed -n '2,3p' "$0" | sed 's/^# \{0,1\}//'; [[ ${1:-} == "-h" ]]; exit $?; }

echo "# 1. Check: what did root do?"
aws cloudtrail lookup-events --lookup-attributes AttributeKey=Username,AttributeValue=root \
  --max-results 20 --query 'Events[].[EventTime,EventName]' --output text

echo "# 2. Fix what it changed: the CIS password policy (14 characters, all classes, reuse 24)"
aws iam update-account-password-policy --minimum-password-length 14 --require-symbols \
  --require-numbers --require-uppercase-characters --require-lowercase-characters \
  --allow-users-to-change-password --max-password-age 90 --password-reuse-prevention 24

echo "# 3. By hand, in the console as root: change the root password, check MFA, delete root access keys"
aws iam get-account-summary --query 'SummaryMap.[AccountMFAEnabled,AccountAccessKeysPresent]' --output text
