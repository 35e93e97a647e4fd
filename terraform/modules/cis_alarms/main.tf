# The CIS AWS Foundations Benchmark monitoring controls (node I of the diagram): one metric filter on
# the CloudTrail log group and one alarm to the alert topic per control. The filters are data
# (filters.json, patterns as the benchmark gives them), not code.
variable "name_prefix" { type = string }
variable "log_group_name" { type = string }
variable "alert_topic_arn" { type = string }

locals {
  controls  = { for c in jsondecode(file("${path.module}/filters.json")).controls : c.id => c }
  namespace = "CISBenchmark"
}

resource "aws_cloudwatch_log_metric_filter" "control" {
  for_each       = local.controls
  name           = "${var.name_prefix}-cis-${each.key}"
  log_group_name = var.log_group_name
  pattern        = each.value.pattern
  metric_transformation {
    name          = each.value.metric
    namespace     = local.namespace
    value         = "1"
    default_value = "0"
  }
}

resource "aws_cloudwatch_metric_alarm" "control" {
  for_each            = local.controls
  alarm_name          = "${var.name_prefix}-cis-${each.key}"
  alarm_description   = "CIS AWS Foundations ${each.value.cis}: ${each.value.title}"
  namespace           = local.namespace
  metric_name         = each.value.metric
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [var.alert_topic_arn]
  depends_on          = [aws_cloudwatch_log_metric_filter.control]
}

output "alarm_names" { value = sort([for a in aws_cloudwatch_metric_alarm.control : a.alarm_name]) }
