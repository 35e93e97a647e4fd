#!/usr/bin/env bash
# Runbook lambda-permission-remove, executable part: the CLI commands the on-call person runs (see lambda-permission-remove.md).
# Usage: lambda-permission-remove.sh [-h] FUNCTION_NAME STATEMENT_ID   (both from the AddPermission event)
set -euo pipefail
[[ ${1:-} == "-h" || $# -ne 2 ]] && { sed -n '2,3p' "$0" | sed 's/^# \{0,1\}//'; [[ ${1:-} == "-h" ]]; exit $?; }
FUNCTION=$1
STATEMENT=$2

echo "# 1. Check: the function's resource policy (who may invoke it)"
aws lambda get-policy --function-name "$FUNCTION" --query Policy --output text

echo "# 2. Fix: remove the statement the alert names"
aws lambda remove-permission --function-name "$FUNCTION" --statement-id "$STATEMENT"

echo "# 3. Verify: the statements left"
POLICY=$(aws lambda get-policy --function-name "$FUNCTION" --query Policy --output text 2>/dev/null || echo '{"Statement": []}')
python3 -c 'import json, sys; print(" ".join(s["Sid"] for s in json.loads(sys.argv[1])["Statement"]) or "none")' "$POLICY"
