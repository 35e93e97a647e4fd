output "trail_name" {
  value = module.trail.trail_name
}

output "trail_bucket" {
  value = module.trail.bucket
}

output "trail_log_group" {
  value = module.trail.log_group_name
}

output "alert_topic_arn" {
  value = module.alerting.topic_arn
}

output "remediation_function_name" {
  value = module.sg_remediation.function_name
}

output "sg_rule_name" {
  value = module.sg_remediation.rule_name
}

output "orchestrator_function_name" {
  value = module.api_call_response.function_name
}

output "api_call_rule_names" {
  value = module.api_call_response.rule_names
}

output "workload_vpc_id" {
  value = module.network.vpc_id
}

output "cis_alarm_names" {
  value = var.enable_cis_alarms ? module.cis_alarms[0].alarm_names : []
}

output "guardduty_detector_id" {
  value = var.enable_guardduty ? module.guardduty[0].detector_id : null
}

output "config_rule_names" {
  value = var.enable_config ? module.config[0].rule_names : []
}

output "automation_documents" {
  value = module.automation.document_names
}
