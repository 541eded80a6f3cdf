variable "streamkap_host" {
  type        = string
  description = "Base URL of the API: the mock's address, without a path."
  default     = "http://127.0.0.1:8080"
}

variable "streamkap_client_id" {
  type        = string
  description = "A client id from the mock's fixtures/tenants.json."
  default     = "mock-client"
}

variable "streamkap_secret" {
  type        = string
  description = "The secret of that client id."
  default     = "mock-secret"
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
