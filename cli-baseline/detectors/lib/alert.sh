# shellcheck shell=bash
# Shared by every detector (sourced): where state lives, which findings are new, how to alert.
# Environment: ALERT_TOPIC_ARN (required), LAB_DETECTOR_STATE_DIR (default /var/lib/lab-detectors).
STATE_DIR=${LAB_DETECTOR_STATE_DIR:-/var/lib/lab-detectors}
[[ -d $STATE_DIR ]] || mkdir -p "$STATE_DIR"
# The helpers below filter with bash itself rather than sed / tr: a detector runs every few minutes,
# and each external command is a process.

# usage SCRIPT: print the script's header comment (lines 2 up to the first non-comment line).
usage() { sed -n '2,/^[^#]/p' "$1" | sed '$d' | sed 's/^# \{0,1\}//'; }

# new_findings NAME [--baseline]: read the current finding keys on stdin (one per line) and print the
# ones the previous run did not see. The current set replaces the seen set, so a finding that goes
# away and comes back alerts again. With --baseline, the first run only records what exists.
# The new set is kept aside and becomes the seen set only when the whole run succeeds (see the EXIT
# trap below): a run whose alert could not be published alerts again at the next run.
new_findings() {
  local seen="$STATE_DIR/$1.seen" next="$STATE_DIR/$1.seen.next.$$"
  present | sort -u > "$next"
  if [[ ! -f $seen ]]; then
    [[ ${2:-} == --baseline ]] || comm -13 /dev/null "$next"
    return 0
  fi
  comm -13 "$seen" "$next"
}

# At exit: the run's new seen sets replace the old ones if it succeeded, else they are dropped.
commit_findings() {
  local status=$? next
  for next in "$STATE_DIR"/*.seen.next."$$"; do
    [[ -e $next ]] || continue
    if [[ $status -eq 0 ]]; then mv "$next" "${next%".next.$$"}"; else rm -f "$next"; fi
  done
}
trap commit_findings EXIT

# present: copy stdin to stdout without empty lines and lines that say "None" (the CLI's text
# output for a missing value).
present() {
  local line
  while IFS= read -r line || [[ -n $line ]]; do
    [[ -z $line || $line == None ]] || printf '%s\n' "$line"
  done
}

# words TEXT: the CLI's tab-separated text output as one word per line, without "None".
words() { present <<<"${1//$'\t'/$'\n'}"; }

# alert SUBJECT MESSAGE: publish one alert (SNS subjects are limited to 100 characters).
alert() {
  : "${ALERT_TOPIC_ARN:?set ALERT_TOPIC_ARN to the alert topic}"
  aws sns publish --topic-arn "$ALERT_TOPIC_ARN" --subject "[lab-manual] ${1:0:86}" \
    --message "$2" >/dev/null
  echo "alerted: $1"
}
