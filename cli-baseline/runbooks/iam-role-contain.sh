#!/usr/bin/env bash
# Runbook iam-role-contain, executable part: the CLI commands the on-call person runs (see iam-role-contain.md).
# Usage: iam-role-contain.sh [-h] ROLE_NAME
set -euo pipefail
[[ ${1:-} == "-h" || $# -ne 1 ]] && { sed -n '2,3p' "$0" | sed 's/^# \{0,1\}//'; [[ ${1:-} == "-h" ]]; exit $?; }
ROLE=$1

echo "# 1. Check: who may assume $ROLE"
aws iam get-role --role-name "$ROLE" --query 'Role.AssumeRolePolicyDocument.Statement[].Principal' --output json

echo "# 2. Contain: detach AdministratorAccess (delete the role once its owner, if any, confirms)"
aws iam detach-role-policy --role-name "$ROLE" --policy-arn arn:aws:iam::aws:policy/AdministratorAccess

echo "# 3. Verify: no AdministratorAccess"
aws iam list-attached-role-policies --role-name "$ROLE" --query 'AttachedPolicies[].PolicyName' --output text
