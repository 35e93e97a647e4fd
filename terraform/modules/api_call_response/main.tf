# Fast path for the high-risk API calls other than security-group ingress: EventBridge (node P)
# matches the CloudTrail call and invokes the orchestrator Lambda (node Q), which applies the action
# playbook.json names for it and alerts through SNS (node N). Failed async invocations, after
# Lambda's two retries, go to a dead-letter queue.
variable "name_prefix" { type = string }
variable "package_path" { type = string }
variable "alert_topic_arn" { type = string }
variable "account_id" { type = string }
variable "enable_rules" { type = bool }
variable "log_retention_days" { type = number }
variable "kms_key_arn" { type = string }

locals {
  function_name = "${var.name_prefix}-respond"
  high_risk_calls = [
    "PutBucketAcl", "PutBucketPolicy", "DeleteBucketPublicAccessBlock",
    "StopLogging", "DeleteTrail",
    "UpdateDetector", "DeleteDetector",
    "StopConfigurationRecorder", "DeleteDeliveryChannel",
    "ModifySnapshotAttribute",
    "ScheduleKeyDeletion", "DisableKey",
    "AttachUserPolicy", "CreateUser", "CreateAccessKey",
    "UpdateAccountPasswordPolicy",
  ]
  rules = {
    high-risk-calls = {
      description = "High-risk API calls (CloudTrail), sent to the orchestrator Lambda."
      pattern = {
        "detail-type" = ["AWS API Call via CloudTrail"]
        detail        = { eventName = local.high_risk_calls }
      }
    }
    unencrypted-volume = {
      description = "An EBS volume created without encryption (CloudTrail)."
      pattern = {
        "detail-type" = ["AWS API Call via CloudTrail"]
        detail = {
          eventName         = ["CreateVolume"]
          requestParameters = { encrypted = [false, "false"] }
        }
      }
    }
    root-activity = {
      description = "Any call made with the root user's credentials (CloudTrail)."
      pattern = {
        "detail-type" = ["AWS API Call via CloudTrail"]
        detail        = { userIdentity = { type = ["Root"] } }
      }
    }
  }
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

# Least privilege: each statement is one playbook action, on the narrowest resource the action
# supports; reads and writes of those resources only.
data "aws_iam_policy_document" "function" {
  #checkov:skip=CKV_AWS_356:The three "*" resources are actions without resource-level permissions (Config recorders, DescribeSnapshotAttribute, the account password policy), each noted beside it.
  statement {
    sid       = "BlockBucketPublicAccess"
    actions   = ["s3:GetBucketPublicAccessBlock", "s3:PutBucketPublicAccessBlock", "s3:PutBucketOwnershipControls"]
    resources = ["arn:aws:s3:::*"]
  }
  statement {
    sid       = "StartLogging"
    actions   = ["cloudtrail:GetTrailStatus", "cloudtrail:StartLogging"]
    resources = ["arn:aws:cloudtrail:*:${var.account_id}:trail/*"]
  }
  statement {
    sid       = "EnableDetector"
    actions   = ["guardduty:GetDetector", "guardduty:UpdateDetector"]
    resources = ["arn:aws:guardduty:*:${var.account_id}:detector/*"]
  }
  statement {
    sid       = "StartRecorder"
    actions   = ["config:DescribeConfigurationRecorderStatus", "config:StartConfigurationRecorder"]
    resources = ["*"] # AWS Config recorders do not support resource-level permissions.
  }
  statement {
    sid       = "ReadSnapshotPermissions"
    actions   = ["ec2:DescribeSnapshotAttribute"]
    resources = ["*"] # Describe* actions do not support resource-level permissions.
  }
  statement {
    sid       = "MakeSnapshotPrivate"
    actions   = ["ec2:ModifySnapshotAttribute"]
    resources = ["arn:aws:ec2:*::snapshot/*"]
  }
  statement {
    sid       = "RestoreKey"
    actions   = ["kms:DescribeKey", "kms:CancelKeyDeletion", "kms:EnableKey"]
    resources = ["arn:aws:kms:*:${var.account_id}:key/*"]
  }
  statement {
    sid       = "ContainUsers"
    actions   = ["iam:ListAttachedUserPolicies", "iam:DetachUserPolicy", "iam:ListAccessKeys", "iam:UpdateAccessKey"]
    resources = ["arn:aws:iam::${var.account_id}:user/*"]
  }
  statement {
    sid       = "RestorePasswordPolicy"
    actions   = ["iam:GetAccountPasswordPolicy", "iam:UpdateAccountPasswordPolicy"]
    resources = ["*"] # account-level settings have no resource ARN.
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
  name   = "respond"
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

resource "aws_cloudwatch_event_rule" "this" {
  for_each      = { for name, rule in local.rules : name => rule if var.enable_rules }
  name          = "${var.name_prefix}-${each.key}"
  description   = each.value.description
  event_pattern = jsonencode(each.value.pattern)
}

resource "aws_cloudwatch_event_target" "this" {
  for_each  = aws_cloudwatch_event_rule.this
  rule      = each.value.name
  target_id = "respond"
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
