# A source, a destination, a transform and a pipeline wired together, for the
# 3.x provider (branch `develop`), against a local streamkap-mock:
#
#   streamkap-mock serve --port 8080 --db data/terraform.json
#   export STREAMKAP_HOST=http://127.0.0.1:8080 STREAMKAP_CLIENT_ID=mock-client STREAMKAP_SECRET=mock-secret
#   terraform init && terraform apply
#
# The address and credentials come from STREAMKAP_HOST, STREAMKAP_CLIENT_ID and
# STREAMKAP_SECRET, unless the variables in variables.tf are set (TF_VAR_...).
# Offline (no registry to download the provider from): docs/terraform.md.

terraform {
  required_version = ">= 1.5.0"
  required_providers {
    streamkap = {
      source = "streamkap-com/streamkap"
      # 3.x is published as beta pre-releases; Terraform only picks a
      # pre-release that is named exactly.
      version = "3.0.0-beta.24"
    }
  }
}

provider "streamkap" {
  host      = var.streamkap_host
  client_id = var.streamkap_client_id
  secret    = var.streamkap_secret
}
