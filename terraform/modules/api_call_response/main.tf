# The orchestrator (node Q) and what reaches it through EventBridge (node P): the fast path of
# high-risk CloudTrail calls, which it fixes directly, and GuardDuty findings (node K), which it
# answers with SSM Automation runbooks (node R). playbook.json names the response to each; every
# event ends in an SNS alert (node N). Failed async invocations, after Lambda's two retries, go to a
# dead-letter queue.
variable "permissions_boundary_arn" {
  type    = string
  default = null
}
variable "name_prefix" { type = string }
variable "package_path" { type = string }
variable "alert_topic_arn" { type = string }
variable "account_id" { type = string }
variable "enable_rules" { type = bool }
variable "log_retention_days" { type = number }
variable "kms_key_arn" { type = string }
variable "enable_finding_rules" { type = bool }
variable "enable_compliance_rules" { type = bool }
variable "automation_role_arn" { type = string }
variable "automation_document_names" { type = list(string) }
variable "region" { type = string }
variable "auto_remediation" {
  description = "false: alert with the event instead of fixing (a person answers every alert)."
  type        = bool
}

locals {
  function_name = "${var.name_prefix}-respond"
  # The shared detection list (lab/detections/catalog.yaml, linked as terraform/detections.yaml):
  # every architecture deploys each of its entries, this one as a rule to the orchestrator.
  detections = {
    for d in yamldecode(file("${path.module}/../../detections.yaml")).detections : d.id => {
      description = d.title
      pattern     = d.pattern
    }
  }
  playbook      = jsondecode(file("${path.module}/../../functions/respond/playbook.json"))
  finding_types = sort([for k, v in local.playbook.findings : k])
  finding_rules = {
    guardduty-findings = {
      description = "GuardDuty findings the orchestrator answers (types of playbook.json)."
      pattern = {
        source        = ["aws.guardduty"]
        "detail-type" = ["GuardDuty Finding"]
        detail        = { type = local.finding_types }
      }
    }
  }
  compliance_rules = {
    config-noncompliant = {
      description = "AWS Config rules finding a resource NON_COMPLIANT, sent to the orchestrator Lambda."
      pattern = {
        source        = ["aws.config"]
        "detail-type" = ["Config Rules Compliance Change"]
        detail        = { newEvaluationResult = { complianceType = ["NON_COMPLIANT"] } }
      }
    }
  }
  rules = merge(
    var.enable_finding_rules ? local.finding_rules : {},
    var.enable_compliance_rules ? local.compliance_rules : {},
    local.detections,
  )
  always = keys(merge(local.finding_rules, local.compliance_rules))
}

# Least privilege: each statement is one playbook action, on the narrowest resource the action
# supports; reads and writes of those resources only.
data "aws_iam_policy_document" "function" {
  #checkov:skip=CKV_AWS_356:The five "*" resources are actions without resource-level permissions (Config recorders, DescribeSnapshotAttribute, DescribeImageAttribute, the account password policy, the serial console setting), each noted beside it.
  statement {
    sid       = "BlockBucketPublicAccess"
    actions   = ["s3:GetBucketPublicAccessBlock", "s3:GetBucketPolicyStatus", "s3:GetBucketAcl", "s3:PutBucketPublicAccessBlock", "s3:PutBucketOwnershipControls"]
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
    actions   = ["ec2:DescribeSnapshotAttribute", "ec2:DescribeSnapshots"]
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
    actions   = ["iam:ListAttachedUserPolicies", "iam:DetachUserPolicy", "iam:ListAccessKeys", "iam:UpdateAccessKey", "iam:GetLoginProfile", "iam:DeleteLoginProfile", "iam:ListUserTags"]
    resources = ["arn:aws:iam::${var.account_id}:user/*"]
  }
  statement {
    sid       = "QuarantineUsers"
    actions   = ["iam:AttachUserPolicy"]
    resources = ["arn:aws:iam::${var.account_id}:user/*"]
    condition { # only the quarantine policy: the function cannot grant anything
      test     = "ArnEquals"
      variable = "iam:PolicyARN"
      values   = ["arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3"]
    }
  }
  statement {
    sid       = "ContainRoles"
    actions   = ["iam:GetRole", "iam:UpdateAssumeRolePolicy", "iam:ListAttachedRolePolicies", "iam:DetachRolePolicy", "iam:ListRoleTags"]
    resources = ["arn:aws:iam::${var.account_id}:role/*"]
  }
  statement {
    sid       = "RestoreTrailSelectors"
    actions   = ["cloudtrail:GetEventSelectors", "cloudtrail:PutEventSelectors"]
    resources = ["arn:aws:cloudtrail:*:${var.account_id}:trail/*"]
  }
  statement {
    sid       = "DisableSerialConsole"
    actions   = ["ec2:GetSerialConsoleAccessStatus", "ec2:DisableSerialConsoleAccess"]
    resources = ["*"] # account settings have no resource ARN.
  }
  statement {
    sid       = "ReadImagePermissions"
    actions   = ["ec2:DescribeImageAttribute", "ec2:DescribeImages"]
    resources = ["*"] # Describe* actions do not support resource-level permissions.
  }
  statement {
    sid       = "MakeImagePrivate"
    actions   = ["ec2:ModifyImageAttribute"]
    resources = ["arn:aws:ec2:*::image/*"]
  }
  statement {
    sid       = "MakeDbSnapshotPrivate"
    actions   = ["rds:DescribeDBSnapshotAttributes", "rds:ModifyDBSnapshotAttribute", "rds:DescribeDBSnapshots", "rds:ListTagsForResource"]
    resources = ["arn:aws:rds:*:${var.account_id}:snapshot:*"]
  }
  statement {
    sid       = "RemoveFunctionPermissions"
    actions   = ["lambda:GetPolicy", "lambda:RemovePermission"]
    resources = ["arn:aws:lambda:*:${var.account_id}:function:*"]
  }
  statement {
    sid       = "StartRunbooks"
    actions   = ["ssm:StartAutomationExecution"]
    resources = [for name in var.automation_document_names : "arn:aws:ssm:${var.region}:${var.account_id}:automation-definition/${name}:*"]
  }
  statement {
    sid       = "PassRoleToRunbooks"
    actions   = ["iam:PassRole"]
    resources = [var.automation_role_arn]
    condition {
      test     = "StringEquals"
      variable = "iam:PassedToService"
      values   = ["ssm.amazonaws.com"]
    }
  }
  statement {
    sid       = "RestorePasswordPolicy"
    actions   = ["iam:GetAccountPasswordPolicy", "iam:UpdateAccountPasswordPolicy"]
    resources = ["*"] # account-level settings have no resource ARN.
  }
}

module "function" {
  source                   = "../event_function"
  permissions_boundary_arn = var.permissions_boundary_arn
  name_prefix              = var.name_prefix
  short_name               = "respond"
  package_path             = var.package_path
  alert_topic_arn          = var.alert_topic_arn
  kms_key_arn              = var.kms_key_arn
  log_retention_days       = var.log_retention_days
  # Automation off: the function only alerts (SNS, granted by the module); none of the fixes' rights.
  policy_json = var.auto_remediation ? data.aws_iam_policy_document.function.json : null
  environment = {
    AUTOMATION_ROLE_ARN = var.automation_role_arn
    AUTO_REMEDIATION    = tostring(var.auto_remediation)
  }
  rules = {
    for name, rule in local.rules : name => {
      description = rule.description
      pattern     = jsonencode(rule.pattern)
    } if var.enable_rules || contains(local.always, name)
  }
}

output "function_name" { value = module.function.function_name }
output "rule_names" { value = module.function.rule_names }
