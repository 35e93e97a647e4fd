# The serverless security monitoring stack (nodes D to I, N, P, Q of the design card's diagram).
data "aws_caller_identity" "current" {}

module "encryption" {
  source      = "./modules/encryption"
  name_prefix = var.name_prefix
  account_id  = data.aws_caller_identity.current.account_id
  region      = var.aws_region
}

module "trail" {
  permissions_boundary_arn = var.permissions_boundary_arn
  source                   = "./modules/trail"
  kms_key_arn              = module.encryption.key_arn
  name_prefix              = var.name_prefix
  account_id               = data.aws_caller_identity.current.account_id
  region                   = var.aws_region
  log_retention_days       = var.log_retention_days
}

module "alerting" {
  source      = "./modules/alerting"
  name_prefix = var.name_prefix
  account_id  = data.aws_caller_identity.current.account_id
  kms_key_arn = module.encryption.key_arn
  alert_email = var.alert_email
  alert_phone = var.alert_phone
}

module "sg_remediation" {
  permissions_boundary_arn = var.permissions_boundary_arn
  source                   = "./modules/sg_remediation"
  name_prefix              = var.name_prefix
  package_path             = "${var.functions_build_dir}/remediate_sg.zip"
  alert_topic_arn          = module.alerting.topic_arn
  enable_rule              = var.enable_sg_fast_path
  auto_remediation         = var.auto_remediation
  kms_key_arn              = module.encryption.key_arn
  log_retention_days       = var.log_retention_days
}

module "api_call_response" {
  permissions_boundary_arn = var.permissions_boundary_arn
  source                   = "./modules/api_call_response"
  name_prefix              = var.name_prefix
  package_path             = "${var.functions_build_dir}/respond.zip"
  alert_topic_arn          = module.alerting.topic_arn
  account_id               = data.aws_caller_identity.current.account_id
  enable_rules             = var.enable_api_call_response
  auto_remediation         = var.auto_remediation
  kms_key_arn              = module.encryption.key_arn
  log_retention_days       = var.log_retention_days
  region                   = var.aws_region
  # GuardDuty findings reach the orchestrator only where there is a detector to raise them.
  enable_finding_rules      = var.enable_guardduty
  enable_compliance_rules   = var.enable_config
  automation_role_arn       = module.automation.role_arn
  automation_document_names = module.automation.document_names
}

module "automation" {
  permissions_boundary_arn = var.permissions_boundary_arn
  source                   = "./modules/automation"
  name_prefix              = var.name_prefix
  documents_dir            = "${path.root}/ssm"
  account_id               = data.aws_caller_identity.current.account_id
  alert_topic_arn          = module.alerting.topic_arn
}

module "network" {
  permissions_boundary_arn = var.permissions_boundary_arn
  source                   = "./modules/network"
  name_prefix              = var.name_prefix
  cidr_block               = var.workload_vpc_cidr
  log_bucket_arn           = module.trail.bucket_arn
  kms_key_arn              = module.encryption.key_arn
  log_retention_days       = var.log_retention_days
  aggregation_interval_s   = var.flow_logs_aggregation_interval_s
  to_cloudwatch_logs       = var.flow_logs_to_cloudwatch_logs
  account_id               = data.aws_caller_identity.current.account_id
  region                   = var.aws_region
}

module "cis_alarms" {
  count           = var.enable_cis_alarms ? 1 : 0
  source          = "./modules/cis_alarms"
  name_prefix     = var.name_prefix
  log_group_name  = module.trail.log_group_name
  alert_topic_arn = module.alerting.topic_arn
}

module "guardduty" {
  count                        = var.enable_guardduty ? 1 : 0
  source                       = "./modules/guardduty"
  finding_publishing_frequency = var.guardduty_finding_publishing_frequency
  existing_detector_id         = var.existing_guardduty_detector_id
  name_prefix                  = var.name_prefix
  alert_topic_arn              = module.alerting.topic_arn
}

module "security_hub" {
  count           = var.enable_security_hub ? 1 : 0
  source          = "./modules/security_hub"
  region          = var.aws_region
  name_prefix     = var.name_prefix
  alert_topic_arn = module.alerting.topic_arn
  existing_hub    = var.existing_security_hub
}

module "config" {
  permissions_boundary_arn = var.permissions_boundary_arn
  count                    = var.enable_config ? 1 : 0
  source                   = "./modules/config"
  name_prefix              = var.name_prefix
  bucket_name              = module.trail.bucket
  bucket_arn               = module.trail.bucket_arn
  account_id               = data.aws_caller_identity.current.account_id
  kms_key_arn              = module.encryption.key_arn
  existing_recorder        = var.existing_config_recorder
}
