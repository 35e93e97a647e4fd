variable "aws_region" {
  description = "Region to deploy into: us-east-1, where IAM's events reach EventBridge."
  type        = string
  default     = "us-east-1"
  validation {
    # IAM, Organizations and the other global services deliver their events only to EventBridge in
    # us-east-1 (AWS Knowledge Center, "Why does my EventBridge rule for IAM events only trigger in
    # the us-east-1 Region?"; https://repost.aws/knowledge-center/eventbridge-rule-triggers-iam-single-region).
    condition     = var.aws_region == "us-east-1"
    error_message = "The stack must live in us-east-1: IAM events (CreateUser, CreateAccessKey, AttachUserPolicy, UpdateAccountPasswordPolicy, root use) reach EventBridge only there, so its IAM rules would never fire in another region."
  }
}

variable "aws_endpoint_url" {
  description = "Endpoint of the emulated account (the lab sets it); null = real AWS."
  type        = string
  default     = null
}

variable "run_id" {
  description = "The lab run this deployment belongs to; every resource is tagged with it."
  type        = string
  default     = "manual"
}

variable "name_prefix" {
  description = "Prefix of every resource name."
  type        = string
  default     = "lab"
}

variable "functions_build_dir" {
  description = "Folder holding the Lambda zips built by the lab (`lab deploy` builds them)."
  type        = string
  default     = "../build/functions"
}

variable "alert_email" {
  description = "Address subscribed to the alert topic (null = no e-mail subscription)."
  type        = string
  default     = null
}

variable "alert_phone" {
  description = "On-call phone (E.164, e.g. +15555550100) the alert topic pages by SMS as well as e-mailing (null = no page). A new account's SMS sandbox sends only to verified numbers."
  type        = string
  default     = null
  validation {
    condition     = var.alert_phone == null || can(regex("^\\+[1-9][0-9]{1,14}$", var.alert_phone))
    error_message = "alert_phone must be an E.164 number: + then up to 15 digits, e.g. +15555550100."
  }
}

variable "enable_sg_fast_path" {
  description = "Deploy the EventBridge rule that sends AuthorizeSecurityGroupIngress calls to the remediation Lambda."
  type        = bool
  default     = true
}

variable "auto_remediation" {
  description = "The Lambdas fix what they find (true) or only alert with the event, leaving every response to the on-call person (false): the same detections, the response isolated."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Retention of the CloudWatch log groups."
  type        = number
  default     = 365
}

variable "enable_api_call_response" {
  description = "Deploy the EventBridge rules that send high-risk API calls and root activity to the orchestrator Lambda."
  type        = bool
  default     = true
}

variable "workload_vpc_cidr" {
  description = "CIDR of the workload VPC (its flow logs go to the log archive bucket)."
  type        = string
  default     = "10.52.0.0/16"
}

variable "flow_logs_aggregation_interval_s" {
  description = "VPC Flow Logs maximum aggregation interval: 60 or 600 seconds."
  type        = number
  default     = 600
  validation {
    condition     = contains([60, 600], var.flow_logs_aggregation_interval_s)
    error_message = "The aggregation interval is 60 or 600 seconds."
  }
}

variable "flow_logs_to_cloudwatch_logs" {
  description = "Also deliver the workload VPC's flow logs to a CloudWatch Logs group."
  type        = bool
  default     = false
}

variable "enable_cis_alarms" {
  description = "Deploy the CIS Foundations Benchmark metric filters and alarms on the CloudTrail log group."
  type        = bool
  default     = true
}

variable "enable_guardduty" {
  description = "Deploy the GuardDuty detector."
  type        = bool
  default     = true
}

variable "guardduty_finding_publishing_frequency" {
  description = "How often GuardDuty publishes updates of existing findings: FIFTEEN_MINUTES, ONE_HOUR or SIX_HOURS."
  type        = string
  default     = "FIFTEEN_MINUTES"
  validation {
    condition     = contains(["FIFTEEN_MINUTES", "ONE_HOUR", "SIX_HOURS"], var.guardduty_finding_publishing_frequency)
    error_message = "One of FIFTEEN_MINUTES, ONE_HOUR, SIX_HOURS."
  }
}

variable "enable_security_hub" {
  description = "Enable Security Hub with the FSBP and CIS standards and the GuardDuty and Config integrations."
  type        = bool
  default     = true
}

variable "enable_config" {
  description = "Deploy AWS Config: recorder, delivery channel and the managed rules of modules/config/rules.json."
  type        = bool
  default     = true
}

variable "permissions_boundary_arn" {
  type        = string
  default     = null
  description = "A permissions boundary every role of the stack carries (on a real account: the lab's, docs/lab-permissions-boundary.json); none by default."
}

# One per account and region, and often there before the lab (Organizations' auto-enable, Control
# Tower): the stack adopts the account's own instead of failing to create a second one. Adopted
# means used as it is, never changed or destroyed by the stack. The lab sets them from what the
# account has (lab/targets/singletons.py) before each real-account deploy.
variable "existing_guardduty_detector_id" {
  description = "The account's GuardDuty detector in this region, adopted (null: the stack creates one)."
  type        = string
  default     = null
}

variable "existing_config_recorder" {
  description = "The account's AWS Config recorder in this region, adopted with its delivery channel (null: the stack creates both)."
  type        = string
  default     = null
}

variable "existing_security_hub" {
  description = "Security Hub is already enabled in this account and region: adopted, not enabled again (the standards and integrations are still subscribed)."
  type        = bool
  default     = false
}
