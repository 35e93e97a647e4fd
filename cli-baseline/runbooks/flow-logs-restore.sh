#!/usr/bin/env bash
# Runbook flow-logs-restore, executable part: the CLI commands the on-call person runs (see flow-logs-restore.md).
# Usage: flow-logs-restore.sh [-h] FLOW_LOG_ID   (the deleted flow log, from the DeleteFlowLogs event)
set -euo pipefail
[[ ${1:-} == "-h" || $# -ne 1 ]] && { sed -n '2,3p' "$0" | sed 's/^# \{0,1\}//'; [[ ${1:-} == "-h" ]]; exit $?; }
FLOW_LOG=$1

echo "# 1. Check: the deleted flow log's settings, from its CreateFlowLogs call in the event history"
CREATED=$(aws cloudtrail lookup-events --lookup-attributes AttributeKey=EventName,AttributeValue=CreateFlowLogs \
  --query "Events[?contains(CloudTrailEvent, '\"$FLOW_LOG\"')] | [0].CloudTrailEvent" --output text)
[[ -n $CREATED && $CREATED != None ]] || { echo "no CreateFlowLogs of $FLOW_LOG in the event history (90 days)" >&2; exit 1; }
read -r RESOURCE TRAFFIC DESTINATION_TYPE DESTINATION < <(python3 -c 'import json, sys
request = json.loads(sys.argv[1])["requestParameters"]
print(request["resourceId"]["items"][0], request.get("trafficType", "ALL"),
      request.get("logDestinationType", "cloud-watch-logs"), request["logDestination"])' "$CREATED")
echo "resource $RESOURCE, traffic $TRAFFIC, destination $DESTINATION"

echo "# 2. Fix: unless it already has an active one, give the VPC its flow log again, to the same destination"
ACTIVE=$(aws ec2 describe-flow-logs --filter "Name=resource-id,Values=$RESOURCE" \
  --query "length(FlowLogs[?FlowLogStatus=='ACTIVE'])" --output text)
if [[ $ACTIVE == 0 ]]; then
  aws ec2 create-flow-logs --resource-type VPC --resource-ids "$RESOURCE" --traffic-type "$TRAFFIC" \
    --log-destination-type "$DESTINATION_TYPE" --log-destination "$DESTINATION" --query FlowLogIds --output text
fi

echo "# 3. Verify: the VPC's active flow logs"
aws ec2 describe-flow-logs --filter "Name=resource-id,Values=$RESOURCE" \
  --query "FlowLogs[?FlowLogStatus=='ACTIVE'].FlowLogId" --output text
