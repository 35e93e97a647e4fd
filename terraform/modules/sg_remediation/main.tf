# Fast path for a world-open security group: EventBridge (node P) matches the CloudTrail call and
# invokes the remediation Lambda (node Q), which revokes the rule and alerts through SNS (node N).
variable "permissions_boundary_arn" {
  type    = string
  default = null
}
variable "name_prefix" { type = string }
variable "package_path" { type = string }
variable "alert_topic_arn" { type = string }
variable "enable_rule" { type = bool }
variable "log_retention_days" { type = number }
variable "kms_key_arn" { type = string }
variable "auto_remediation" {
  description = "false: report world-open rules to a person instead of revoking them."
  type        = bool
}

# Least privilege: read security groups; revoke ingress only when the function fixes (automation on).
data "aws_iam_policy_document" "function" {
  statement {
    sid       = "ReadSecurityGroups"
    actions   = ["ec2:DescribeSecurityGroups", "ec2:DescribeSecurityGroupRules"]
    resources = ["*"] # Describe* actions do not support resource-level permissions.
  }
  dynamic "statement" {
    for_each = var.auto_remediation ? ["RevokeIngress"] : []
    content {
      sid       = statement.value
      actions   = ["ec2:RevokeSecurityGroupIngress"]
      resources = ["arn:aws:ec2:*:*:security-group/*"]
    }
  }
}

module "function" {
  source                   = "../event_function"
  permissions_boundary_arn = var.permissions_boundary_arn
  name_prefix              = var.name_prefix
  short_name               = "remediate-sg"
  package_path             = var.package_path
  alert_topic_arn          = var.alert_topic_arn
  kms_key_arn              = var.kms_key_arn
  log_retention_days       = var.log_retention_days
  policy_json              = data.aws_iam_policy_document.function.json
  environment              = { AUTO_REMEDIATION = tostring(var.auto_remediation) }
  rules = var.enable_rule ? {
    sg-ingress-opened = {
      description = "Security group ingress changed (CloudTrail), sent to the remediation Lambda."
      pattern = jsonencode({
        source        = ["aws.ec2"]
        "detail-type" = ["AWS API Call via CloudTrail"]
        detail = {
          eventSource = ["ec2.amazonaws.com"]
          eventName   = ["AuthorizeSecurityGroupIngress", "ModifySecurityGroupRules"]
        }
      })
    }
  } : {}
}

output "function_name" { value = module.function.function_name }
output "rule_name" { value = try(module.function.rule_names[0], null) }
