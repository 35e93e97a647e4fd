#!/usr/bin/env bash
# Runbook dns-query-logging-restore, executable part: the CLI commands the on-call person runs (see dns-query-logging-restore.md).
# Usage: dns-query-logging-restore.sh [-h] CONFIG_ID   (the deleted configuration, from the DeleteResolverQueryLogConfig event)
set -euo pipefail
[[ ${1:-} == "-h" || $# -ne 1 ]] && { sed -n '2,3p' "$0" | sed 's/^# \{0,1\}//'; [[ ${1:-} == "-h" ]]; exit $?; }
CONFIG=$1

echo "# 1. Check: the deleted configuration's name and destination, and the VPCs taken off it (event history)"
CREATED=$(aws cloudtrail lookup-events --lookup-attributes AttributeKey=EventName,AttributeValue=CreateResolverQueryLogConfig \
  --query "Events[?contains(CloudTrailEvent, '\"$CONFIG\"')] | [0].CloudTrailEvent" --output text)
[[ -n $CREATED && $CREATED != None ]] || { echo "no CreateResolverQueryLogConfig of $CONFIG in the event history (90 days)" >&2; exit 1; }
read -r NAME DESTINATION < <(python3 -c 'import json, sys
request = json.loads(sys.argv[1])["requestParameters"]
print(request["name"], request["destinationArn"])' "$CREATED")
VPCS=$(aws cloudtrail lookup-events --lookup-attributes AttributeKey=EventName,AttributeValue=DisassociateResolverQueryLogConfig \
  --query "Events[?contains(CloudTrailEvent, '\"$CONFIG\"')].CloudTrailEvent" --output json |
  python3 -c 'import json, sys
print(" ".join(sorted({json.loads(e)["requestParameters"]["resourceId"] for e in json.load(sys.stdin)})))')
echo "configuration $NAME to $DESTINATION, VPCs: ${VPCS:-none}"

echo "# 2. Fix: the configuration again (the one of that name if it still exists), each VPC associated with it"
NEW=$(aws route53resolver list-resolver-query-log-configs \
  --query "ResolverQueryLogConfigs[?Name=='$NAME' && Status!='DELETING'] | [0].Id" --output text)
if [[ -z $NEW || $NEW == None ]]; then
  NEW=$(aws route53resolver create-resolver-query-log-config --name "$NAME" --destination-arn "$DESTINATION" \
    --creator-request-id "restore-$CONFIG-$(date -u +%s)" --query ResolverQueryLogConfig.Id --output text)
fi
for VPC in $VPCS; do
  aws route53resolver associate-resolver-query-log-config --resolver-query-log-config-id "$NEW" \
    --resource-id "$VPC" --query ResolverQueryLogConfigAssociation.Status --output text
done

echo "# 3. Verify: the VPCs whose queries are logged"
aws route53resolver list-resolver-query-log-config-associations \
  --filters "Name=ResolverQueryLogConfigId,Values=$NEW" --query "ResolverQueryLogConfigAssociations[].ResourceId" --output text
