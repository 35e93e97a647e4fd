# Security Hub (node O): the account's hub with the AWS Foundational Security Best Practices and CIS
# standards, the GuardDuty, Config and Prowler integrations, and imported findings of high severity sent to
# the alert topic as the event itself (JSON), which the runbook index reads.
variable "region" { type = string }
variable "alert_topic_arn" { type = string }
variable "name_prefix" { type = string }
variable "existing_hub" {
  description = "Security Hub is already enabled (one hub per account and region): adopted, not enabled."
  type        = bool
  default     = false
}

resource "aws_securityhub_account" "this" {
  count                     = var.existing_hub ? 0 : 1
  enable_default_standards  = false
  control_finding_generator = "SECURITY_CONTROL"
  auto_enable_controls      = true
}

resource "aws_securityhub_standards_subscription" "standard" {
  for_each = {
    fsbp = "arn:aws:securityhub:${var.region}::standards/aws-foundational-security-best-practices/v/1.0.0"
    cis  = "arn:aws:securityhub:${var.region}::standards/cis-aws-foundations-benchmark/v/1.4.0"
  }
  standards_arn = each.value
  depends_on    = [aws_securityhub_account.this]
}

# Integrations whose findings the hub imports: GuardDuty, Config, and Prowler (the CSPM scans,
# sent with `prowler --security-hub`; Prowler's product in the Security Hub partner list).
resource "aws_securityhub_product_subscription" "integration" {
  for_each    = toset(["aws/guardduty", "aws/config", "prowler/prowler"])
  product_arn = "arn:aws:securityhub:${var.region}::product/${each.key}"
  depends_on  = [aws_securityhub_account.this]
}

resource "aws_cloudwatch_event_rule" "imported" {
  name        = "${var.name_prefix}-securityhub-high-findings"
  description = "Security Hub findings of high or critical severity, new and active, to the alert topic."
  event_pattern = jsonencode({
    source        = ["aws.securityhub"]
    "detail-type" = ["Security Hub Findings - Imported"]
    detail = {
      findings = {
        Severity    = { Label = ["HIGH", "CRITICAL"] }
        Workflow    = { Status = ["NEW"] }
        RecordState = ["ACTIVE"]
      }
    }
  })
}

# The finding itself (the event as EventBridge sends it, JSON): the on-call person's runbook index
# reads the check and the resource from it, as from the manual scan report. A one-line summary
# named no runbook, so a scanner's FAIL could only be reviewed, never fixed.
resource "aws_cloudwatch_event_target" "imported_to_alerts" {
  rule = aws_cloudwatch_event_rule.imported.name
  arn  = var.alert_topic_arn
}

output "hub_arn" { value = one(aws_securityhub_account.this[*].arn) }
output "rule_name" { value = aws_cloudwatch_event_rule.imported.name }
