#!/usr/bin/env bash
# Render the monitoring instance's user data: installs the CloudWatch agent and the AWS CLI, writes the
# detector scripts (embedded, base64) and their cron schedule.
# Usage: render-user-data.sh TOPIC_ARN "CRON_SCHEDULE" AGENT_PARAMETER   (CRON_JOBS=no: no schedule)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
[[ $# -eq 3 ]] || { echo "usage: $0 TOPIC_ARN 'CRON_SCHEDULE' AGENT_PARAMETER" >&2; exit 2; }
TOPIC_ARN=$1
SCHEDULE=$2
AGENT_PARAMETER=$3
REGION=${AWS_DEFAULT_REGION:-us-east-1}
cat <<HEAD
#!/bin/bash
# lab monitoring instance bootstrap (Amazon Linux 2023)
set -euo pipefail
# AL2023 logs to the journal only; rsyslog writes /var/log/secure and /var/log/messages, which the
# agent ships (Amazon Linux 2023 User Guide: the systemd journal replaced rsyslog, no longer installed by default).
dnf install -y amazon-cloudwatch-agent awscli cronie rsyslog
systemctl enable --now crond rsyslog
mkdir -p /opt/lab/detectors/lib /etc/lab /var/lib/lab-detectors
cat > /etc/lab/detectors.env <<'ENV'
ALERT_TOPIC_ARN=$TOPIC_ARN
AWS_DEFAULT_REGION=$REGION
ENV
HEAD
# The agent's configuration lives in Parameter Store (deploy.sh step 5b), like every instance's.
echo "/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s \\"
echo "  -c ssm:$AGENT_PARAMETER"
for script in "$HERE"/detectors/*.sh "$HERE"/detectors/lib/*.sh; do
  name=${script#"$HERE"/detectors/}
  echo "base64 -d > /opt/lab/detectors/$name <<'B64'"
  base64 -w0 "$script"; echo
  echo "B64"
  echo "chmod 0755 /opt/lab/detectors/$name"
done
[[ ${CRON_JOBS:-yes} == yes ]] || exit 0  # DETECTORS without cron: the scripts, never scheduled
echo "cat > /etc/cron.d/lab-detectors <<'CRON'"
for script in "$HERE"/detectors/*.sh; do
  # flock -n: a run still going when the next one is due is not run twice at once (its state files)
  name=$(basename "$script" .sh)
  echo "$SCHEDULE root set -a; . /etc/lab/detectors.env; flock -n /run/lock/lab-$name.lock /opt/lab/detectors/$name.sh >> /var/log/lab-detectors.log 2>&1"
done
echo "CRON"
