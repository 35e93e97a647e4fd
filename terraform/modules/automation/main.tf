# SSM Automation (node R): the remediation runbooks of terraform/ssm/ as Automation documents, and
# the role they act as (only what their steps call).
variable "permissions_boundary_arn" {
  type    = string
  default = null
}
variable "name_prefix" { type = string }
variable "documents_dir" { type = string }
variable "account_id" { type = string }
variable "alert_topic_arn" {
  description = "Where a runbook that failed, timed out or was cancelled is reported."
  type        = string
}

locals {
  # Every role the stack creates (suffixes after the prefix): tests/architectures check the list
  # against the roles a deploy makes.
  stack_roles = [
    "ssm-automation", "respond-role", "remediate-sg-role", "config-recorder", "trail-to-logs",
    "flow-logs-to-cwl",
  ]
  documents = { for f in fileset(var.documents_dir, "*.yaml") : trimsuffix(f, ".yaml") => f }
}

resource "aws_ssm_document" "runbook" {
  for_each        = local.documents
  name            = each.key
  document_type   = "Automation"
  document_format = "YAML"
  content         = file("${var.documents_dir}/${each.value}")
}

data "aws_iam_policy_document" "assume_ssm" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ssm.amazonaws.com"]
    }
    # Confused-deputy protection as the Systems Manager User Guide's Automation service role shows it.
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:aws:ssm:*:${var.account_id}:automation-execution/*"]
    }
  }
}

resource "aws_iam_role" "automation" {
  name                 = "${var.name_prefix}-ssm-automation"
  assume_role_policy   = data.aws_iam_policy_document.assume_ssm.json
  permissions_boundary = var.permissions_boundary_arn
}

data "aws_iam_policy_document" "automation" {
  #checkov:skip=CKV_AWS_111:Network ACL entries, instance attributes and snapshots are written on resources the finding names at run time; the documents scope each call by their parameters.
  #checkov:skip=CKV_AWS_356:EC2 Describe* and the writes of the containment steps do not support resource-level scoping for every resource they touch.
  statement {
    sid = "ContainInstances"
    actions = [
      "ec2:DescribeInstances", "ec2:DescribeNetworkAcls", "ec2:CreateNetworkAclEntry",
      "ec2:CreateSecurityGroup", "ec2:RevokeSecurityGroupEgress", "ec2:ModifyInstanceAttribute",
      "ec2:CreateSnapshot", "ec2:RevokeSecurityGroupIngress", "ec2:DescribeSecurityGroupRules",
    ]
    resources = ["*"]
  }
  statement {
    sid       = "ContainUsers"
    actions   = ["iam:UpdateAccessKey", "iam:ListAccessKeys", "iam:DetachUserPolicy"]
    resources = ["arn:aws:iam::*:user/*"]
  }
  statement {
    sid       = "QuarantineUsers"
    actions   = ["iam:AttachUserPolicy", "iam:ListAttachedUserPolicies"]
    resources = ["arn:aws:iam::*:user/*"]
    condition { # only the quarantine policy: the runbook cannot grant anything
      test     = "ArnEqualsIfExists"
      variable = "iam:PolicyARN"
      values   = ["arn:aws:iam::aws:policy/AWSCompromisedKeyQuarantineV3"]
    }
  }
  statement {
    sid       = "RestoreDetectors"
    actions   = ["guardduty:UpdateDetector", "guardduty:GetDetector"]
    resources = ["arn:aws:guardduty:*:*:detector/*"]
  }
  statement {
    sid       = "RestoreRecorder"
    actions   = ["config:StartConfigurationRecorder", "config:DescribeConfigurationRecorderStatus"]
    resources = ["*"] # AWS Config recorders do not support resource-level permissions.
  }
  statement {
    sid       = "RevokeRoleSessions"
    actions   = ["iam:PutRolePolicy", "iam:GetRolePolicy"]
    resources = ["arn:aws:iam::*:role/*"]
  }
  statement {
    sid       = "FindInstanceRoles"
    actions   = ["iam:GetInstanceProfile"]
    resources = ["arn:aws:iam::*:instance-profile/*"]
  }
  # The revocation writes an inline policy on the role a finding names: never on the stack's own
  # roles (this one included, which could otherwise grant itself anything) nor AWS's service roles.
  # Named one by one: the prefix would also cover every role the lab attacks (lab-target-*,
  # lab-ssm-*), and an explicit Deny wins, so no revocation could ever succeed.
  statement {
    sid     = "NeverRewriteTheResponders"
    effect  = "Deny"
    actions = ["iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:PutRolePermissionsBoundary"]
    resources = concat(
      [for name in local.stack_roles : "arn:aws:iam::*:role/${var.name_prefix}-${name}"],
      ["arn:aws:iam::*:role/aws-service-role/*", "arn:aws:iam::*:role/aws-reserved/*"],
    )
  }
  statement {
    sid       = "RestoreLogging"
    actions   = ["cloudtrail:StartLogging", "cloudtrail:GetTrailStatus"]
    resources = ["arn:aws:cloudtrail:*:*:trail/*"]
  }
  statement {
    sid       = "BlockBucketPublicAccess"
    actions   = ["s3:PutBucketPublicAccessBlock", "s3:GetBucketPublicAccessBlock"]
    resources = ["arn:aws:s3:::*"]
  }
}

resource "aws_iam_role_policy" "automation" {
  name   = "run-lab-runbooks"
  role   = aws_iam_role.automation.id
  policy = data.aws_iam_policy_document.automation.json
}

# A runbook the orchestrator started reports "remediating"; whether it worked is Automation's own
# event (Systems Manager User Guide, "Amazon EventBridge event examples for Systems Manager":
# "EC2 Automation Execution Status-change Notification"). One that failed, timed out or was
# cancelled reaches the person as one line: the fix did not happen.
resource "aws_cloudwatch_event_rule" "runbook_failed" {
  name        = "${var.name_prefix}-runbook-failed"
  description = "A lab runbook that failed, timed out or was cancelled, to the alert topic."
  event_pattern = jsonencode({
    source        = ["aws.ssm"]
    "detail-type" = ["EC2 Automation Execution Status-change Notification"]
    detail = {
      Status     = ["Failed", "TimedOut", "Cancelled"]
      Definition = sort(keys(local.documents))
    }
  })
}

resource "aws_cloudwatch_event_target" "runbook_failed" {
  rule = aws_cloudwatch_event_rule.runbook_failed.name
  arn  = var.alert_topic_arn
  input_transformer {
    input_paths = {
      runbook   = "$.detail.Definition"
      status    = "$.detail.Status"
      execution = "$.detail.ExecutionId"
    }
    input_template = "\"[lab] runbook <runbook> <status> (execution <execution>): the fix did not happen; the alert that started it names what to do by hand\""
  }
}

output "role_arn" { value = aws_iam_role.automation.arn }
output "document_arns" { value = [for d in aws_ssm_document.runbook : d.arn] }
output "document_names" { value = sort([for d in aws_ssm_document.runbook : d.name]) }
