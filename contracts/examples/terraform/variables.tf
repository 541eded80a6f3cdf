# Left null, these let the provider read STREAMKAP_HOST, STREAMKAP_CLIENT_ID and
# STREAMKAP_SECRET (an attribute that is set wins over the environment).
variable "streamkap_host" {
  type        = string
  description = "Base URL of the API, e.g. the mock's http://127.0.0.1:8080 (no path); null: STREAMKAP_HOST."
  default     = null
}

variable "streamkap_client_id" {
  type        = string
  description = "A client id from the mock's fixtures/tenants.json, e.g. mock-client; null: STREAMKAP_CLIENT_ID."
  default     = null
}

variable "streamkap_secret" {
  type        = string
  description = "The secret of that client id, e.g. mock-secret; null: STREAMKAP_SECRET."
  default     = null
  sensitive   = true
}

variable "postgres_password" {
  type        = string
  description = "Any value works against the mock: nothing connects to a database."
  default     = "example-password"
  sensitive   = true
}

variable "snowflake_private_key" {
  type        = string
  description = "PEM private key of the Snowflake user (not checked by the mock)."
  default     = "-----BEGIN ENCRYPTED PRIVATE KEY-----\nexample\n-----END ENCRYPTED PRIVATE KEY-----"
  sensitive   = true
}

variable "snowflake_private_key_passphrase" {
  type        = string
  description = "Passphrase of that key; required while snowflake_private_key_passphrase_secured is true (its default)."
  default     = "example-passphrase"
  sensitive   = true
}
