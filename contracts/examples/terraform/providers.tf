# A source, a destination, a transform and a pipeline wired together, for the
# 3.x provider (branch `develop`), against a local streamkap-mock:
#
#   streamkap-mock serve --port 8080 --db data/terraform.json
#   terraform init && terraform apply
#
# Credentials come from the variables below or from STREAMKAP_CLIENT_ID /
# STREAMKAP_SECRET / STREAMKAP_HOST (the provider reads those when the
# attributes are not set).

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
