# One provider for a real account and for the emulator. With var.aws_endpoint_url unset (null), every
# endpoint below is unset and the provider talks to AWS; set, every service goes to the emulator.
locals {
  emulated = var.aws_endpoint_url != null
}

provider "aws" {
  region = var.aws_region

  skip_credentials_validation = local.emulated
  skip_requesting_account_id  = false
  skip_metadata_api_check     = local.emulated
  s3_use_path_style           = local.emulated
  # The emulator answers at once or never, so long retries would only hide a gap for minutes; a few
  # quick ones ride out a connection the loaded local server dropped.
  max_retries = local.emulated ? 4 : 25

  endpoints {
    cloudtrail     = var.aws_endpoint_url
    cloudwatch     = var.aws_endpoint_url
    cloudwatchlogs = var.aws_endpoint_url
    ec2            = var.aws_endpoint_url
    events         = var.aws_endpoint_url
    iam            = var.aws_endpoint_url
    kms            = var.aws_endpoint_url
    lambda         = var.aws_endpoint_url
    s3             = var.aws_endpoint_url
    sns            = var.aws_endpoint_url
    sqs            = var.aws_endpoint_url
    ssm            = var.aws_endpoint_url
    sts            = var.aws_endpoint_url
  }

  default_tags {
    tags = {
      "lab:project"      = "aws-serverless-security-monitoring"
      "lab:architecture" = "serverless"
      "lab:run-id"       = var.run_id
    }
  }
}
