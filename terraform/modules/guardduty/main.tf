# GuardDuty (node K): one detector for the account and region. It reads CloudTrail management events,
# VPC flow logs and DNS logs on its own (no trail or flow log is needed for it to see them).
variable "finding_publishing_frequency" { type = string }
variable "name_prefix" { type = string }
variable "alert_topic_arn" { type = string }
variable "existing_detector_id" {
  description = "The account's detector, adopted (a region has one at most): null creates it."
  type        = string
  default     = null
}

resource "aws_guardduty_detector" "this" {
  count = var.existing_detector_id == null ? 1 : 0
  #checkov:skip=CKV2_AWS_3:The lab is one account, not an AWS Organization: there is no delegated administrator or organization configuration to enable it through.
  enable                       = true
  finding_publishing_frequency = var.finding_publishing_frequency
}

# Findings of medium severity and above reach the team as one readable line (input transformer);
# the orchestrator answers the types its playbook knows on its own rule.
resource "aws_cloudwatch_event_rule" "findings_to_alerts" {
  name        = "${var.name_prefix}-guardduty-findings-alert"
  description = "GuardDuty findings of severity 4 or more, to the alert topic."
  event_pattern = jsonencode({
    source        = ["aws.guardduty"]
    "detail-type" = ["GuardDuty Finding"]
    detail        = { severity = [{ numeric = [">=", 4] }] }
  })
}

resource "aws_cloudwatch_event_target" "findings_to_alerts" {
  rule = aws_cloudwatch_event_rule.findings_to_alerts.name
  arn  = var.alert_topic_arn
  input_transformer {
    input_paths = {
      type     = "$.detail.type"
      severity = "$.detail.severity"
      title    = "$.detail.title"
      account  = "$.detail.accountId"
    }
    input_template = "\"GuardDuty finding <type> (severity <severity>) in <account>: <title>\""
  }
}

output "detector_id" { value = coalesce(var.existing_detector_id, one(aws_guardduty_detector.this[*].id)) }
