# shellcheck shell=bash
# Sourced by the runbooks that undo a change a team also makes on purpose (a key or console password
# for a new employee, an image or snapshot shared with a partner, a CI system's federation tokens).
# A security engineer keeps an allow-list as the tag lab:allowed-changes on the principal or the
# resource: the CloudTrail event names that are routine for it, separated by spaces, or "*". The
# serverless orchestrator reads the same tag (terraform/functions/respond/handler.py, ALLOW_TAG).
ALLOW_TAG="lab:allowed-changes"

# allow_listed TAG_VALUE EVENT_NAME...: whether the tag's value names one of the events, or "*".
allow_listed() {
  local value=$1 word event
  shift
  for word in $value; do
    [[ $word == "*" ]] && return 0
    for event in "$@"; do
      [[ $word == "$event" ]] && return 0
    done
  done
  return 1
}

# leave_if_allow_listed TAG_VALUE WHAT EVENT_NAME...: stop the runbook (success) when allow-listed.
leave_if_allow_listed() {
  local value=$1 what=$2
  shift 2
  if allow_listed "$value" "$@"; then
    echo "allow-listed: $what carries $ALLOW_TAG=$value; a routine change, left alone"
    exit 0
  fi
}
