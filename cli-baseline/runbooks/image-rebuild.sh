#!/usr/bin/env bash
# Runbook image-rebuild, executable part: the CLI commands the on-call person runs (see image-rebuild.md).
# Usage: image-rebuild.sh [-h] IMAGE_ID   (the deregistered image, from the DeregisterImage event)
set -euo pipefail
[[ ${1:-} == "-h" || $# -ne 1 ]] && { sed -n '2,3p' "$0" | sed 's/^# \{0,1\}//'; [[ ${1:-} == "-h" ]]; exit $?; }
IMAGE=$1

echo "# 1. Check: is the image still registered? How was it made (its CreateImage call in the event history)?"
aws ec2 describe-images --owners self --query "Images[?ImageId=='$IMAGE'].[ImageId,Name,State]" --output text
CREATED=$(aws cloudtrail lookup-events --lookup-attributes AttributeKey=EventName,AttributeValue=CreateImage \
  --query "Events[?contains(CloudTrailEvent, '\"$IMAGE\"')] | [0].CloudTrailEvent" --output text)
[[ -n $CREATED && $CREATED != None ]] || { echo "no CreateImage of $IMAGE in the event history (90 days): rebuild it from the pipeline" >&2; exit 1; }
read -r INSTANCE NAME TAGS < <(python3 -c 'import json, sys
request = json.loads(sys.argv[1])["requestParameters"]
# The image keeps its tags (its owner, its purpose): those it was made with, and where it came from.
tags = [{"Key": t["key"], "Value": t["value"]}
        for spec in (request.get("tagSpecification") or {}).get("items", []) if spec["resourceType"] == "image"
        for t in spec["tag"]["items"]]
tags.append({"Key": "restored-from", "Value": sys.argv[2]})
print(request["instanceId"], request["name"], json.dumps([{"ResourceType": "image", "Tags": tags}], separators=(",", ":")))' \
  "$CREATED" "$IMAGE")
echo "image $NAME, made from instance $INSTANCE"

echo "# 2. Fix: unless an image of that name is back, make it again from the same instance, with its tags (no reboot)"
if [[ $(aws ec2 describe-images --owners self --filters "Name=name,Values=$NAME" --query 'length(Images)' --output text) == 0 ]]; then
  aws ec2 create-image --instance-id "$INSTANCE" --name "$NAME" --no-reboot \
    --tag-specifications "$TAGS" --query ImageId --output text
fi

echo "# 3. Verify: the image of that name"
aws ec2 describe-images --owners self --filters "Name=name,Values=$NAME" --query "Images[].[ImageId,State]" --output text
