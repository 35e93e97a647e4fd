#!/usr/bin/env bash
# Shared helpers for deploy.sh and teardown.sh (sourced, not run).

# Tags every resource of the manual architecture carries (inside --tag-specifications Tags=[...]).
# shellcheck disable=SC2034  # used by the scripts that source this file
# The same tags as shorthand words for --tags of IAM and SNS.
# shellcheck disable=SC2054  # the commas are inside each Key=...,Value=... word, as the CLI wants
LAB_TAGS_ARGS=(Key=lab:project,Value=aws-serverless-security-monitoring Key=lab:architecture,Value=manual "Key=lab:run-id,Value=${LAB_RUN_ID:-manual}")
LAB_TAGS_SPEC="{Key=lab:project,Value=aws-serverless-security-monitoring},{Key=lab:architecture,Value=manual},{Key=lab:run-id,Value=${LAB_RUN_ID:-manual}}"

log() { printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }

# state_set KEY VALUE: record a created id in the state file (KEY=VALUE lines, re-writable).
state_set() {
  local key=$1 value=$2
  touch "$STATE_FILE"
  grep -v "^${key}=" "$STATE_FILE" > "${STATE_FILE}.tmp" || true
  printf '%s=%s\n' "$key" "$value" >> "${STATE_FILE}.tmp"
  mv "${STATE_FILE}.tmp" "$STATE_FILE"
}

# state_get KEY: the recorded value, or empty.
state_get() {
  [[ -f "$STATE_FILE" ]] || return 0
  grep "^${1}=" "$STATE_FILE" | tail -n1 | cut -d= -f2- || true
}

# none_to_empty VALUE: the CLI prints "None" for a missing value in text output.
none_to_empty() { [[ "$1" == "None" ]] && echo "" || echo "$1"; }

# retry_while_propagating ERROR_CODE COMMAND...: run COMMAND; while it fails with ERROR_CODE (a
# service checking a role IAM has not propagated yet), wait and run it again, as Terraform's AWS
# provider does for the same errors (about two minutes in all); any other failure is reported.
retry_while_propagating() {
  local code=$1 err attempt
  shift
  err=$(mktemp)
  for attempt in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
    if "$@" 2>"$err"; then rm -f "$err"; return 0; fi
    if [[ $attempt -eq 15 ]] || ! grep -q "$code" "$err"; then
      cat "$err" >&2; rm -f "$err"; return 1
    fi
    log "   $code: IAM has not propagated the role yet; retrying in ${attempt}s"
    sleep "$attempt"
  done
}
