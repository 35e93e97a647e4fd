# The alert topic (node N) that reaches the security team (node S).
variable "name_prefix" { type = string }
variable "alert_email" {
  type    = string
  default = null
}

resource "aws_sns_topic" "alerts" {
  name              = "${var.name_prefix}-security-alerts"
  kms_master_key_id = "alias/aws/sns"
}

resource "aws_sns_topic_subscription" "email" {
  count     = var.alert_email == null ? 0 : 1
  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = var.alert_email
}

output "topic_arn" { value = aws_sns_topic.alerts.arn }
