# GuardDuty (node K): one detector for the account and region. It reads CloudTrail management events,
# VPC flow logs and DNS logs on its own (no trail or flow log is needed for it to see them).
variable "finding_publishing_frequency" { type = string }

resource "aws_guardduty_detector" "this" {
  #checkov:skip=CKV2_AWS_3:The lab is one account, not an AWS Organization: there is no delegated administrator or organization configuration to enable it through.
  enable                       = true
  finding_publishing_frequency = var.finding_publishing_frequency
}

output "detector_id" { value = aws_guardduty_detector.this.id }
