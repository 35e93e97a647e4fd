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
}

module "function" {
  source             = "../event_function"
  name_prefix        = var.name_prefix
  short_name         = "respond"
  package_path       = var.package_path
  alert_topic_arn    = var.alert_topic_arn
  kms_key_arn        = var.kms_key_arn
  log_retention_days = var.log_retention_days
  policy_json        = data.aws_iam_policy_document.function.json
  rules = {
    for name, rule in local.rules : name => {
      description = rule.description
      pattern     = jsonencode(rule.pattern)
    } if var.enable_rules
  }
}

output "function_name" { value = module.function.function_name }
output "rule_names" { value = module.function.rule_names }
