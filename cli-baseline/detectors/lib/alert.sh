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

# one_line LIMIT TEXT: TEXT on one line (runs of spaces, tabs and newlines as one space), cut to
# LIMIT characters.
one_line() {
  local words=() IFS=$' \t\n'
  read -rd '' -a words <<<"$2" || true
  IFS=' '
  local text="${words[*]}"
  printf '%s' "${text:0:$1}"
}

# page_line WHAT WHERE RUNBOOK: the page, "what | where | runbook", each field cut to its length
# (100, 200 and 200 characters: the same fields and lengths as the serverless functions' pages, at
# most 506 characters, within the 1,600 an SMS Publish sends).
page_line() {
  local fields=() field
  field=$(one_line 100 "$1"); [[ -n $field ]] && fields+=("$field")
  field=$(one_line 200 "$2"); [[ -n $field ]] && fields+=("$field")
  field=$(one_line 200 "$3"); [[ -n $field ]] && fields+=("$field")
  local IFS=$'\x1f'
  local joined="${fields[*]}"
  printf '%s' "${joined//$'\x1f'/ | }"
}

# json_string TEXT: TEXT as a JSON string.
json_string() {
  local text=$1
  text=${text//\\/\\\\}
  text=${text//\"/\\\"}
  text=${text//$'\n'/\\n}
  text=${text//$'\r'/\\r}
  text=${text//$'\t'/\\t}
  printf '"%s"' "$text"
}

# alert SUBJECT MESSAGE: publish one alert with MessageStructure=json: MESSAGE for e-mail (the
# "default" entry, every protocol without its own), one short line for SMS (the "sms" entry): what
# (the subject), where (the region), which runbook (MESSAGE's "run: runbooks/..." part). SNS
# subjects are limited to 100 characters.
alert() {
  : "${ALERT_TOPIC_ARN:?set ALERT_TOPIC_ARN to the alert topic}"
  local subject="[lab-manual] ${1:0:86}" runbook="" pattern='run: runbooks/[^)]*' page
  [[ $2 =~ $pattern ]] && runbook=${BASH_REMATCH[0]}
  page=$(page_line "$subject" "${AWS_REGION:-${AWS_DEFAULT_REGION:-}}" "$runbook")
  aws sns publish --topic-arn "$ALERT_TOPIC_ARN" --subject "$subject" --message-structure json \
    --message "{\"default\":$(json_string "$2"),\"sms\":$(json_string "$page")}" >/dev/null
  echo "alerted: $1"
}
