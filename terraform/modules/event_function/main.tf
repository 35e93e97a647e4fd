# An EventBridge-triggered Lambda function with what every such function of the stack needs: its
# role (the caller's statements plus alerting, dead-letter and log writes), a KMS-encrypted log
# group, a dead-letter queue for events that fail after Lambda's two retries, the rules that invoke
# it, their targets and invoke permissions.
variable "permissions_boundary_arn" {
  type    = string
  default = null
}
variable "name_prefix" { type = string }
variable "short_name" { type = string }
variable "package_path" { type = string }
variable "alert_topic_arn" { type = string }
variable "kms_key_arn" { type = string }
variable "log_retention_days" { type = number }
variable "policy_json" {
  description = "The function's own permissions (an IAM policy document); null: none beyond alerting and logging."
  type        = string
  default     = null
}
variable "environment" {
  description = "More environment variables of the function (ARNs and names, never secrets)."
  type        = map(string)
  default     = {}
}
variable "rules" {
  description = "EventBridge rules by short name: description and event pattern (JSON)."
  type        = map(object({ description = string, pattern = string }))
}

locals {
  function_name = "${var.name_prefix}-${var.short_name}"
}

# No aws:SourceAccount / aws:SourceArn here: the Lambda Developer Guide documents no source context
# for the service assuming a function's execution role (only for services invoking the function).
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
  name                 = "${local.function_name}-role"
  assume_role_policy   = data.aws_iam_policy_document.assume_lambda.json
  permissions_boundary = var.permissions_boundary_arn
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

# Least privilege: the caller's statements, then only this topic, this queue, this log group.
data "aws_iam_policy_document" "function" {
  source_policy_documents = var.policy_json == null ? [] : [var.policy_json]
  statement {
    sid       = "Alert"
    actions   = ["sns:Publish"]
    resources = [var.alert_topic_arn]
  }
  # The alert topic is encrypted with the stack's key: a publisher needs the data key too (SNS
  # Developer Guide, "Securing Amazon SNS data with server-side encryption").
  statement {
    sid       = "AlertKey"
    actions   = ["kms:GenerateDataKey*", "kms:Decrypt"]
    resources = [var.kms_key_arn]
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
  # Active tracing: Lambda refuses the function unless its role can upload traces. X-Ray's write
  # actions have no resource type (Service Authorization Reference), so "*" is the only resource.
  statement {
    sid       = "Tracing"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "function" {
  name   = var.short_name
  role   = aws_iam_role.function.id
  policy = data.aws_iam_policy_document.function.json
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_117:The function only calls AWS APIs; inside a VPC it would need a NAT gateway or eight interface endpoints, cost without a security gain for a control-plane function.
  #checkov:skip=CKV_AWS_115:Reserved concurrency fails on new accounts (UnreservedConcurrentExecution must stay >= 10 of a quota of 10); the rules' event rate bounds the concurrency.
  #checkov:skip=CKV_AWS_272:Code signing needs an AWS Signer profile; the lab builds deterministic zips and pins them with source_code_hash.
  #checkov:skip=CKV_AWS_173:The environment holds ARNs (alert topic, automation role), not secrets.
  function_name    = local.function_name
  role             = aws_iam_role.function.arn
  runtime          = "python3.12"
  handler          = "handler.handler"
  filename         = var.package_path
  source_code_hash = filebase64sha256(var.package_path)
  timeout          = 30
  memory_size      = 128
  environment {
    variables = merge({ ALERT_TOPIC_ARN = var.alert_topic_arn }, var.environment)
  }
  dead_letter_config {
    target_arn = aws_sqs_queue.dead_letter.arn
  }
  tracing_config {
    mode = "Active"
  }
  depends_on = [aws_iam_role_policy.function, aws_cloudwatch_log_group.function]
}

# An event the function still failed on after Lambda's two retries lands in the dead-letter queue:
# alert on it, so that no failed response goes unseen (the function also alerts as it fails).
resource "aws_cloudwatch_metric_alarm" "dead_letters" {
  alarm_name          = "${local.function_name}-dead-letters"
  alarm_description   = "Events ${local.function_name} failed on after Lambda's retries (queue ${aws_sqs_queue.dead_letter.name})."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.dead_letter.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alert_topic_arn]
}

resource "aws_cloudwatch_event_rule" "this" {
  for_each      = var.rules
  name          = "${var.name_prefix}-${each.key}"
  description   = each.value.description
  event_pattern = each.value.pattern
}

resource "aws_cloudwatch_event_target" "this" {
  for_each  = aws_cloudwatch_event_rule.this
  rule      = each.value.name
  target_id = var.short_name
  arn       = aws_lambda_function.this.arn
}

resource "aws_lambda_permission" "events" {
  for_each      = aws_cloudwatch_event_rule.this
  statement_id  = "AllowEventBridge-${each.key}"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  principal     = "events.amazonaws.com"
  source_arn    = each.value.arn
}

output "function_name" { value = aws_lambda_function.this.function_name }
output "rule_names" { value = [for r in aws_cloudwatch_event_rule.this : r.name] }
