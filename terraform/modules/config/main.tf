# AWS Config (node M): the recorder (all supported resources, global ones included), its delivery
# channel to the log archive bucket, and the managed rules of rules.json.
variable "permissions_boundary_arn" {
  type    = string
  default = null
}
variable "name_prefix" { type = string }
variable "bucket_name" { type = string }
variable "bucket_arn" { type = string }
variable "account_id" { type = string }
variable "kms_key_arn" {
  type        = string
  description = "The key of the delivery bucket's default encryption."
}
variable "existing_recorder" {
  description = "The account's recorder (a region has one at most), adopted with its delivery channel: null creates both and their role."
  type        = string
  default     = null
}

locals {
  create = var.existing_recorder == null ? 1 : 0
  rules  = { for r in jsondecode(file("${path.module}/rules.json")).rules : r.identifier => r }
}

data "aws_iam_policy_document" "assume_config" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["config.amazonaws.com"]
    }
    # Confused-deputy protection (Config Developer Guide, "Adding an IAM trust policy to your role").
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

resource "aws_iam_role" "config" {
  count                = local.create
  name                 = "${var.name_prefix}-config-recorder"
  assume_role_policy   = data.aws_iam_policy_document.assume_config.json
  permissions_boundary = var.permissions_boundary_arn
}

resource "aws_iam_role_policy_attachment" "config" {
  count      = local.create
  role       = aws_iam_role.config[0].name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWS_ConfigRole"
}

# AWS_ConfigRole reads the account; writing the delivery bucket and using its key are the role's
# own grants (Config Developer Guide, "Permissions for the IAM role assigned to AWS Config": IAM
# role policy for the S3 bucket and for the KMS key).
data "aws_iam_policy_document" "deliver" {
  statement {
    sid       = "DeliverToBucket"
    actions   = ["s3:PutObject", "s3:PutObjectAcl"]
    resources = ["${var.bucket_arn}/AWSLogs/${var.account_id}/*"]
    condition {
      test     = "StringLike"
      variable = "s3:x-amz-acl"
      values   = ["bucket-owner-full-control"]
    }
  }
  statement {
    sid       = "CheckBucketAcl"
    actions   = ["s3:GetBucketAcl"]
    resources = [var.bucket_arn]
  }
  statement {
    sid       = "EncryptDeliveries"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [var.kms_key_arn]
  }
}

resource "aws_iam_role_policy" "deliver" {
  count  = local.create
  name   = "deliver-to-log-archive"
  role   = aws_iam_role.config[0].id
  policy = data.aws_iam_policy_document.deliver.json
}

resource "aws_config_configuration_recorder" "this" {
  count    = local.create
  name     = "${var.name_prefix}-recorder"
  role_arn = aws_iam_role.config[0].arn
  recording_group {
    all_supported                 = true
    include_global_resource_types = true
  }
}

resource "aws_config_delivery_channel" "this" {
  count          = local.create
  name           = "${var.name_prefix}-delivery"
  s3_bucket_name = var.bucket_name
  depends_on     = [aws_config_configuration_recorder.this, aws_iam_role_policy.deliver]
}

resource "aws_config_configuration_recorder_status" "this" {
  count      = local.create
  name       = aws_config_configuration_recorder.this[0].name
  is_enabled = true
  depends_on = [aws_config_delivery_channel.this]
}

resource "aws_config_config_rule" "managed" {
  for_each         = local.rules
  name             = "${var.name_prefix}-${lower(replace(each.key, "_", "-"))}"
  description      = each.value.description
  input_parameters = length(each.value.parameters) > 0 ? jsonencode(each.value.parameters) : null
  source {
    owner             = "AWS"
    source_identifier = each.key
  }
  dynamic "scope" {
    for_each = length(each.value.scope) > 0 ? [1] : []
    content {
      compliance_resource_types = each.value.scope
    }
  }
  maximum_execution_frequency = each.value.periodic ? "TwentyFour_Hours" : null
  depends_on                  = [aws_config_configuration_recorder_status.this]
}

output "recorder_name" { value = coalesce(var.existing_recorder, one(aws_config_configuration_recorder.this[*].name)) }
output "rule_names" { value = sort([for r in aws_config_config_rule.managed : r.name]) }
