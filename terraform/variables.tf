variable "aws_region" {
  description = "Region to deploy into."
  type        = string
  default     = "us-east-1"
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

variable "enable_sg_fast_path" {
  description = "Deploy the EventBridge rule that sends AuthorizeSecurityGroupIngress calls to the remediation Lambda."
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
