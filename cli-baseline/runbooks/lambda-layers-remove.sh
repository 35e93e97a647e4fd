#!/usr/bin/env bash
# Runbook lambda-layers-remove, executable part: the CLI commands the on-call person runs (see lambda-layers-remove.md).
# Usage: lambda-layers-remove.sh [-h] FUNCTION_NAME
set -euo pipefail
[[ ${1:-} == "-h" || $# -ne 1 ]] && { sed -n '2,3p' "$0" | sed 's/^# \{0,1\}//'; [[ ${1:-} == "-h" ]]; exit $?; }
FUNCTION=$1

echo "# 1. Check: the function's layers"
aws lambda get-function-configuration --function-name "$FUNCTION" --query 'Layers[].Arn' --output text

echo "# 2. Fix: run the function without layers (redeploy the approved ones from the pipeline)"
aws lambda update-function-configuration --function-name "$FUNCTION" --layers '[]' >/dev/null

echo "# 3. Verify: no layer"
# shellcheck disable=SC2016  # the backticks are a JMESPath literal, not a shell expansion
aws lambda get-function-configuration --function-name "$FUNCTION" --query 'length(Layers || `[]`)' --output text
