#!/usr/bin/env bash
# Runbook role-trust-restore, executable part: the CLI commands the on-call person runs (see role-trust-restore.md).
# Usage: role-trust-restore.sh [-h] ROLE_NAME
set -euo pipefail
[[ ${1:-} == "-h" || $# -ne 1 ]] && { sed -n '2,3p' "$0" | sed 's/^# \{0,1\}//'; [[ ${1:-} == "-h" ]]; exit $?; }
ROLE=$1

echo "# 1. Check: who may assume the role now"
ACCOUNT=$(aws sts get-caller-identity --query Account --output text)
aws iam get-role --role-name "$ROLE" --query Role.AssumeRolePolicyDocument --output json

echo "# 2. Fix: keep only the trust statements whose principals are this account's or AWS services"
TRUST=$(aws iam get-role --role-name "$ROLE" --query Role.AssumeRolePolicyDocument --output json |
  python3 -c 'import json, sys
account = sys.argv[1]
def inside(principal):
    """A principal of this account, or a service: not another account, not everyone."""
    if principal == "*":
        return False
    values = [v for kind, v in principal.items() if kind != "Service"]
    flat = [x for v in values for x in (v if isinstance(v, list) else [v])]
    return all(x == account or f":{account}:" in x for x in flat)
policy = json.load(sys.stdin)
policy["Statement"] = [s for s in policy["Statement"] if s.get("Effect") != "Allow" or inside(s.get("Principal", "*"))]
print(json.dumps(policy))' "$ACCOUNT")
aws iam update-assume-role-policy --role-name "$ROLE" --policy-document "$TRUST"


echo "# 3. Verify: the trust policy now"
aws iam get-role --role-name "$ROLE" --query Role.AssumeRolePolicyDocument --output json
