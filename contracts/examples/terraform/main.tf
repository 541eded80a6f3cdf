# The Development system tag; the pipeline below would get it by default too.
data "streamkap_tag" "development" {
  id = "670e5ca40afe1d3983ce0c22"
}

resource "streamkap_source_postgresql" "shop" {
  name              = "shop-postgres"
  database_hostname = "shop-db.internal.example.com"
  database_port     = 5432
  database_user     = "streamkap"
  database_password = var.postgres_password
  database_dbname   = "shop"

  schema_include_list = "public"
  table_include_list  = "public.orders,public.customers"

  # Set once: a change replaces the source.
  slot_name        = "streamkap_shop_slot"
  publication_name = "streamkap_shop_pub"

  tags = [data.streamkap_tag.development.id]
}

resource "streamkap_destination_snowflake" "warehouse" {
  name                             = "analytics-snowflake"
  snowflake_url_name               = "acme-analytics.snowflakecomputing.com"
  snowflake_user_name              = "STREAMKAP_USER"
  snowflake_private_key            = var.snowflake_private_key
  snowflake_private_key_passphrase = var.snowflake_private_key_passphrase
  snowflake_database_name          = "ANALYTICS"
  snowflake_schema_name            = "RAW"
}

resource "streamkap_transform_map_filter" "mask_emails" {
  name                            = "mask-customer-emails"
  transforms_language             = "JavaScript"
  transforms_input_topic_pattern  = "shop-postgres\\.public\\.customers"
  transforms_output_topic_pattern = "masked-$0"

  implementation_json = jsonencode({
    language        = "JAVASCRIPT"
    value_transform = "function _streamkap_transform(record) { record.email = '***'; return record; }"
  })

  # Deploys a preview job, then the live one, and waits for RUNNING.
  deploy        = true
  replay_window = "1d"
}

resource "streamkap_pipeline" "shop_to_warehouse" {
  name                = "shop-to-warehouse"
  snapshot_new_tables = true

  source = {
    id        = streamkap_source_postgresql.shop.id
    name      = streamkap_source_postgresql.shop.name
    connector = streamkap_source_postgresql.shop.connector
    topics    = ["public.orders"]
  }

  destination = {
    id        = streamkap_destination_snowflake.warehouse.id
    name      = streamkap_destination_snowflake.warehouse.name
    connector = streamkap_destination_snowflake.warehouse.connector
  }

  # public.customers reaches the warehouse through the transform only.
  transforms = [
    {
      id     = streamkap_transform_map_filter.mask_emails.id
      topics = ["public.customers"]
    },
  ]

  tags = [data.streamkap_tag.development.id]
}

output "pipeline_id" {
  value = streamkap_pipeline.shop_to_warehouse.id
}
