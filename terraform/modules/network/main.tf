# The workload VPC (nodes E and F of the diagram): where the account's instances run, with VPC Flow
# Logs (version 2 records) to the log archive bucket and, optionally, to a CloudWatch Logs group.
variable "permissions_boundary_arn" {
  type    = string
  default = null
}
variable "name_prefix" { type = string }
variable "cidr_block" { type = string }
variable "log_bucket_arn" { type = string }
variable "kms_key_arn" { type = string }
variable "log_retention_days" { type = number }
variable "aggregation_interval_s" { type = number }
variable "to_cloudwatch_logs" { type = bool }
variable "account_id" { type = string }
variable "region" { type = string }

resource "aws_vpc" "workload" {
  cidr_block           = var.cidr_block
  enable_dns_support   = true
  enable_dns_hostnames = true
  tags = {
    Name           = "${var.name_prefix}-workload"
    "lab:workload" = "true" # the lab's activity techniques put their target instance here
  }
}

# CIS 5.4: the default security group allows nothing.
resource "aws_default_security_group" "workload" {
  vpc_id = aws_vpc.workload.id
}

resource "aws_flow_log" "to_s3" {
  vpc_id                   = aws_vpc.workload.id
  traffic_type             = "ALL"
  log_destination_type     = "s3"
  log_destination          = var.log_bucket_arn
  max_aggregation_interval = var.aggregation_interval_s
}

resource "aws_cloudwatch_log_group" "flow" {
  count             = var.to_cloudwatch_logs ? 1 : 0
  name              = "/lab/vpc-flow-logs/${var.name_prefix}-workload"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
}

data "aws_iam_policy_document" "assume_flow_logs" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["vpc-flow-logs.amazonaws.com"]
    }
    # Confused-deputy protection as the VPC User Guide's flow-log role trust policy shows it.
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:aws:ec2:${var.region}:${var.account_id}:vpc-flow-log/*"]
    }
  }
}

resource "aws_iam_role" "flow_to_logs" {
  count                = var.to_cloudwatch_logs ? 1 : 0
  name                 = "${var.name_prefix}-flow-logs-to-cwl"
  assume_role_policy   = data.aws_iam_policy_document.assume_flow_logs.json
  permissions_boundary = var.permissions_boundary_arn
}

data "aws_iam_policy_document" "flow_to_logs" {
  count = var.to_cloudwatch_logs ? 1 : 0
  statement {
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = ["${aws_cloudwatch_log_group.flow[0].arn}:*"]
  }
}

resource "aws_iam_role_policy" "flow_to_logs" {
  count  = var.to_cloudwatch_logs ? 1 : 0
  name   = "deliver-flow-records"
  role   = aws_iam_role.flow_to_logs[0].id
  policy = data.aws_iam_policy_document.flow_to_logs[0].json
}

resource "aws_flow_log" "to_cloudwatch_logs" {
  count                    = var.to_cloudwatch_logs ? 1 : 0
  vpc_id                   = aws_vpc.workload.id
  traffic_type             = "ALL"
  log_destination_type     = "cloud-watch-logs"
  log_destination          = aws_cloudwatch_log_group.flow[0].arn
  iam_role_arn             = aws_iam_role.flow_to_logs[0].arn
  max_aggregation_interval = var.aggregation_interval_s
}

output "vpc_id" { value = aws_vpc.workload.id }
output "flow_log_group_name" {
  value = var.to_cloudwatch_logs ? aws_cloudwatch_log_group.flow[0].name : null
}
