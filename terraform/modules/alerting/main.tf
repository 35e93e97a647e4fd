# The alert topic (node N) that reaches the security team (node S).
variable "name_prefix" { type = string }
variable "account_id" { type = string }
variable "kms_key_arn" { type = string }
variable "alert_email" {
  type    = string
  default = null
}
variable "alert_phone" {
  type    = string
  default = null
}

resource "aws_sns_topic" "alerts" {
  name = "${var.name_prefix}-security-alerts"
  # A customer managed key: EventBridge and CloudWatch alarms cannot publish to a topic encrypted
  # with the AWS managed SNS key (its policy cannot be changed to let them use it).
  kms_master_key_id = var.kms_key_arn
}

# Who may publish: the account, EventBridge rules and CloudWatch alarms of this account.
data "aws_iam_policy_document" "topic" {
  statement {
    sid       = "AccountPublishes"
    actions   = ["sns:Publish", "sns:Subscribe", "sns:GetTopicAttributes"]
    resources = [aws_sns_topic.alerts.arn]
    principals {
      type        = "AWS"
      identifiers = ["arn:aws:iam::${var.account_id}:root"]
    }
  }
  statement {
    sid       = "ServicesPublishAlerts"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alerts.arn]
    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com", "cloudwatch.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

resource "aws_sns_topic_policy" "alerts" {
  arn    = aws_sns_topic.alerts.arn
  policy = data.aws_iam_policy_document.topic.json
}

resource "aws_sns_topic_subscription" "email" {
  count     = var.alert_email == null ? 0 : 1
  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = var.alert_email
}

# The on-call pager: the same alerts by SMS (SNS sends a long message in 140-byte parts, at most
# 1,600 characters), so the person is reached at any hour.
resource "aws_sns_topic_subscription" "page" {
  count     = var.alert_phone == null ? 0 : 1
  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "sms"
  endpoint  = var.alert_phone
}

output "topic_arn" { value = aws_sns_topic.alerts.arn }
