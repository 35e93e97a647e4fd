#!/usr/bin/env bash
# Runbook user-data-restore, executable part: the CLI commands the on-call person runs (see user-data-restore.md).
# Usage: user-data-restore.sh [-h] INSTANCE_ID [USER_DATA_FILE]   (without the file: the user data is removed)
set -euo pipefail
[[ ${1:-} == "-h" || $# -lt 1 || $# -gt 2 ]] && { sed -n '2,3p' "$0" | sed 's/^# \{0,1\}//'; [[ ${1:-} == "-h" ]]; exit $?; }
INSTANCE=$1
FILE=${2:-}

echo "# 1. Check: the instance's user data now (what it runs at its next boot)"
aws ec2 describe-instance-attribute --instance-id "$INSTANCE" --attribute userData \
  --query UserData.Value --output text | { base64 -d 2>/dev/null || true; }
echo

echo "# 2. Fix: stop the instance (user data changes only when it is stopped), put back the workload's user data, start it"
aws ec2 stop-instances --instance-ids "$INSTANCE" --query 'StoppingInstances[0].CurrentState.Name' --output text
aws ec2 wait instance-stopped --instance-ids "$INSTANCE"
if [[ -n $FILE ]]; then
  aws ec2 modify-instance-attribute --instance-id "$INSTANCE" --attribute userData --value "$(base64 -w0 "$FILE")"
else
  aws ec2 modify-instance-attribute --instance-id "$INSTANCE" --attribute userData --value ""
fi
aws ec2 start-instances --instance-ids "$INSTANCE" --query 'StartingInstances[0].CurrentState.Name' --output text

echo "# 3. Verify: the user data now"
aws ec2 describe-instance-attribute --instance-id "$INSTANCE" --attribute userData \
  --query UserData.Value --output text | { base64 -d 2>/dev/null || true; }
echo
