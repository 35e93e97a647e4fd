#!/usr/bin/env bash
# Cron detector: IAM users and roles holding AdministratorAccess, access keys and console passwords
# (login profiles) that were not there at the previous run (the first run records the existing ones
# without alerting).
# Usage: iam-new-principals.sh [-h]     Environment: ALERT_TOPIC_ARN, AWS CLI settings.
set -euo pipefail
# shellcheck source=SCRIPTDIR/lib/alert.sh
source "$(dirname "$0")/lib/alert.sh"
[[ ${1:-} == "-h" ]] && { usage "$0"; exit 0; }

admins=$(aws iam list-entities-for-policy \
  --policy-arn arn:aws:iam::aws:policy/AdministratorAccess --entity-filter User \
  --query 'PolicyUsers[].UserName' --output text)
for user in $(words "$admins" | new_findings iam-admin-users --baseline); do
  alert "IAM user $user has AdministratorAccess" \
    "Detector iam-new-principals found AdministratorAccess attached to user $user (not there at the previous run).
Check: aws iam list-attached-user-policies --user-name $user; aws iam list-access-keys --user-name $user
Runbook: cli-baseline/runbooks/iam-user-contain.md (run: runbooks/iam-user-contain.sh $user)"
done

roles=$(aws iam list-entities-for-policy \
  --policy-arn arn:aws:iam::aws:policy/AdministratorAccess --entity-filter Role \
  --query 'PolicyRoles[].RoleName' --output text)
for role in $(words "$roles" | new_findings iam-admin-roles --baseline); do
  alert "IAM role $role has AdministratorAccess" \
    "Detector iam-new-principals found AdministratorAccess attached to role $role (not there at the previous run).
Check: aws iam get-role --role-name $role (who may assume it)
Runbook: cli-baseline/runbooks/iam-role-contain.md (run: runbooks/iam-role-contain.sh $role)"
done

keys=()
logins=()
# Each answer is captured first: an API error then stops the run (set -e) instead of reading as
# "no users" and resetting the baseline.
users=$(aws iam list-users --query 'Users[].UserName' --output text)
for user in $(words "$users"); do
  active=$(aws iam list-access-keys --user-name "$user" \
    --query "AccessKeyMetadata[?Status=='Active'].AccessKeyId" --output text)
  for key in $(words "$active"); do
    keys+=("$user:$key")
  done
  if aws iam get-login-profile --user-name "$user" >/dev/null 2>&1; then
    logins+=("$user")
  fi
done
for user in $(printf '%s\n' "${logins[@]}" | new_findings iam-login-profiles --baseline); do
  alert "New console password for IAM user $user" \
    "Detector iam-new-principals found a console password (login profile) on user $user, not there at the previous run.
Runbook: cli-baseline/runbooks/iam-user-contain.md (run: runbooks/iam-user-contain.sh $user)"
done
for entry in $(printf '%s\n' "${keys[@]}" | new_findings iam-access-keys --baseline); do
  user=${entry%%:*} key=${entry#*:}
  alert "New access key $key for IAM user $user" \
    "Detector iam-new-principals found a new active access key $key on user $user.
Check who created it: aws cloudtrail lookup-events --lookup-attributes AttributeKey=EventName,AttributeValue=CreateAccessKey
Runbook: cli-baseline/runbooks/iam-key-contain.md (run: runbooks/iam-key-contain.sh $user $key)"
done
