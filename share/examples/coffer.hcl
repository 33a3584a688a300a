# A single durable node on Berkeley DB, plain HTTP on loopback.
storage "bdb" {
  path = "/var/lib/coffer"
}

listener "tcp" {
  address     = "127.0.0.1:8200"
  tls_disable = true

  # Limits per connection (Vault's names and defaults; "0" means none).
  # http_read_header_timeout = "10s"  # accept to the end of the headers
  # http_read_timeout        = "30s"  # the headers and the whole body
  # http_write_timeout       = "0"    # sending the reply
  # http_idle_timeout        = "5m"   # between keep-alive requests
  # max_request_duration     = "90s"  # first header byte to the reply, handler included
  # max_request_size         = 33554432
  # max_json_depth               = 64       # at most 120
  # max_json_string_value_length = 1048576
  # max_json_object_entry_count  = 10000
  # max_json_array_element_count = 10000
  # Coffer's own: connections one client address may hold (0 = no cap),
  # and request bodies held at once by the listener, in bytes.
  # max_connections_per_address = 256
  # max_request_bytes_in_flight = 268435456
}

api_addr  = "http://127.0.0.1:8200"
log_level = "info"
