#!/usr/bin/env bash
# Render the monitoring instance's user data: writes the detector scripts (embedded, base64) and their
# cron schedule, then installs the CloudWatch agent and cron; a failure is published to the topic.
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
# lab monitoring instance bootstrap (Amazon Linux 2023). The detectors and their schedule are written
# first, the packages and the agent after: whatever fails, the alert topic hears of it (the AWS CLI
# is preinstalled on Amazon Linux 2023) instead of the instance staying silent without detectors.
set -uo pipefail
bootstrap_failed() {
  aws sns publish --region $REGION --topic-arn $TOPIC_ARN \\
    --subject "[lab] monitoring instance bootstrap FAILED on \$(hostname)" \\
    --message "The monitoring instance's user data failed at line \$1 (exit \$2): see /var/log/cloud-init-output.log; the detectors and cron may be written but not running." \\
    || true
}
trap 'bootstrap_failed \$LINENO \$?' ERR
set -e
mkdir -p /opt/lab/detectors/lib /etc/lab /var/lib/lab-detectors /etc/cron.d
cat > /etc/lab/detectors.env <<'ENV'
ALERT_TOPIC_ARN=$TOPIC_ARN
AWS_DEFAULT_REGION=$REGION
ENV
HEAD
for script in "$HERE"/detectors/*.sh "$HERE"/detectors/lib/*.sh; do
  name=${script#"$HERE"/detectors/}
  echo "base64 -d > /opt/lab/detectors/$name <<'B64'"
  base64 -w0 "$script"; echo
  echo "B64"
  echo "chmod 0755 /opt/lab/detectors/$name"
done
if [[ ${CRON_JOBS:-yes} == yes ]]; then  # DETECTORS without cron: the scripts, never scheduled
  echo "cat > /etc/cron.d/lab-detectors <<'CRON'"
  for script in "$HERE"/detectors/*.sh; do
    # flock -n: a run still going when the next one is due is not run twice at once (its state files)
    name=$(basename "$script" .sh)
    echo "$SCHEDULE root set -a; . /etc/lab/detectors.env; flock -n /run/lock/lab-$name.lock /opt/lab/detectors/$name.sh >> /var/log/lab-detectors.log 2>&1"
  done
  echo "CRON"
fi
cat <<'PACKAGES'
# AL2023 logs to the journal only; rsyslog writes /var/log/secure and /var/log/messages, which the
# agent ships (Amazon Linux 2023 User Guide: the systemd journal replaced rsyslog, no longer installed by default).
dnf install -y amazon-cloudwatch-agent awscli cronie rsyslog
systemctl enable --now crond rsyslog
PACKAGES
# The agent's configuration lives in Parameter Store (deploy.sh step 5b), like every instance's.
echo "/opt/aws/amazon-cloudwatch-agent/bin/amazon-cloudwatch-agent-ctl -a fetch-config -m ec2 -s \\"
echo "  -c ssm:$AGENT_PARAMETER"
