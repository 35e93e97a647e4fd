# Fast path for a world-open security group: EventBridge (node P) matches the CloudTrail call and
# invokes the remediation Lambda (node Q), which revokes the rule and alerts through SNS (node N).
variable "name_prefix" { type = string }
variable "package_path" { type = string }
variable "alert_topic_arn" { type = string }
variable "enable_rule" { type = bool }
variable "log_retention_days" { type = number }
variable "kms_key_arn" { type = string }

locals {
  function_name = "${var.name_prefix}-remediate-sg"
}

data "aws_iam_policy_document" "assume_lambda" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "function" {
  name               = "${local.function_name}-role"
  assume_role_policy = data.aws_iam_policy_document.assume_lambda.json
}

resource "aws_cloudwatch_log_group" "function" {
  name              = "/aws/lambda/${local.function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

resource "aws_sqs_queue" "dead_letter" {
  name                      = "${local.function_name}-dlq"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

# Least privilege: read security groups, revoke ingress, publish to the one alert topic, write its logs.
data "aws_iam_policy_document" "function" {
  statement {
    sid       = "ReadSecurityGroups"
    actions   = ["ec2:DescribeSecurityGroups", "ec2:DescribeSecurityGroupRules"]
    resources = ["*"] # Describe* actions do not support resource-level permissions.
  }
  statement {
    sid       = "RevokeIngress"
    actions   = ["ec2:RevokeSecurityGroupIngress"]
    resources = ["arn:aws:ec2:*:*:security-group/*"]
  }
  statement {
    sid       = "Alert"
    actions   = ["sns:Publish"]
    resources = [var.alert_topic_arn]
  }
  statement {
    sid       = "DeadLetter"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.dead_letter.arn]
  }
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function.arn}:*"]
  }
}

resource "aws_iam_role_policy" "function" {
  name   = "remediate-sg"
  role   = aws_iam_role.function.id
  policy = data.aws_iam_policy_document.function.json
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_117:The function only calls AWS APIs; inside a VPC it would need a NAT gateway or eight interface endpoints, cost without a security gain for a control-plane function.
  #checkov:skip=CKV_AWS_115:Reserved concurrency fails on new accounts (UnreservedConcurrentExecution must stay >= 10 of a quota of 10); the rules' event rate bounds the concurrency.
  #checkov:skip=CKV_AWS_272:Code signing needs an AWS Signer profile; the lab builds deterministic zips and pins them with source_code_hash.
  #checkov:skip=CKV_AWS_173:The only environment variable is the alert topic's ARN, not a secret.
  function_name    = local.function_name
  role             = aws_iam_role.function.arn
  runtime          = "python3.12"
  handler          = "handler.handler"
  filename         = var.package_path
  source_code_hash = filebase64sha256(var.package_path)
  timeout          = 30
  memory_size      = 128
  environment {
    variables = {
      ALERT_TOPIC_ARN = var.alert_topic_arn
    }
  }
  dead_letter_config {
    target_arn = aws_sqs_queue.dead_letter.arn
  }
  tracing_config {
    mode = "Active"
  }
  depends_on = [aws_iam_role_policy.function, aws_cloudwatch_log_group.function]
}

resource "aws_cloudwatch_event_rule" "sg_opened" {
  count       = var.enable_rule ? 1 : 0
  name        = "${var.name_prefix}-sg-ingress-opened"
  description = "Security group ingress changed (CloudTrail), sent to the remediation Lambda."
  event_pattern = jsonencode({
    source        = ["aws.ec2"]
    "detail-type" = ["AWS API Call via CloudTrail"]
    detail = {
      eventSource = ["ec2.amazonaws.com"]
      eventName   = ["AuthorizeSecurityGroupIngress"]
    }
  })
}

resource "aws_cloudwatch_event_target" "sg_opened" {
  count     = var.enable_rule ? 1 : 0
  rule      = aws_cloudwatch_event_rule.sg_opened[0].name
  target_id = "remediate-sg"
  arn       = aws_lambda_function.this.arn
}

resource "aws_lambda_permission" "events" {
  count         = var.enable_rule ? 1 : 0
  statement_id  = "AllowEventBridge"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.sg_opened[0].arn
}

output "function_name" { value = aws_lambda_function.this.function_name }
output "rule_name" { value = var.enable_rule ? aws_cloudwatch_event_rule.sg_opened[0].name : null }
