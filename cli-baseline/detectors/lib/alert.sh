# shellcheck shell=bash
# Shared by every detector (sourced): where state lives, which findings are new, how to alert.
# Environment: ALERT_TOPIC_ARN (required), LAB_DETECTOR_STATE_DIR (default /var/lib/lab-detectors).
STATE_DIR=${LAB_DETECTOR_STATE_DIR:-/var/lib/lab-detectors}
mkdir -p "$STATE_DIR"

# usage SCRIPT: print the script's header comment (lines 2 up to the first non-comment line).
usage() { sed -n '2,/^[^#]/p' "$1" | sed '$d' | sed 's/^# \{0,1\}//'; }

# new_findings NAME [--baseline]: read the current finding keys on stdin (one per line) and print the
# ones the previous run did not see. The current set replaces the seen set, so a finding that goes
# away and comes back alerts again. With --baseline, the first run only records what exists.
new_findings() {
  local seen="$STATE_DIR/$1.seen" current first=false
  [[ -f $seen ]] || first=true
  touch "$seen"
  current=$(sed '/^$/d;/^None$/d' | sort -u)
  if [[ ${2:-} == --baseline && $first == true ]]; then
    printf '%s\n' "$current" | sed '/^$/d' > "$seen"
    return 0
  fi
  comm -13 "$seen" <(printf '%s\n' "$current" | sed '/^$/d')
  printf '%s\n' "$current" | sed '/^$/d' > "$seen"
}

# words TEXT: the CLI's tab-separated text output as one word per line, without "None".
words() { tr '\t' '\n' <<<"$1" | sed '/^$/d;/^None$/d'; }

# alert SUBJECT MESSAGE: publish one alert (SNS subjects are limited to 100 characters).
alert() {
  : "${ALERT_TOPIC_ARN:?set ALERT_TOPIC_ARN to the alert topic}"
  aws sns publish --topic-arn "$ALERT_TOPIC_ARN" --subject "[lab-manual] ${1:0:86}" \
    --message "$2" >/dev/null
  echo "alerted: $1"
}
