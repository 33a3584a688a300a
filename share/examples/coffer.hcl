# A single durable node on Berkeley DB, plain HTTP on loopback.
storage "bdb" {
  path = "/var/lib/coffer"
}

listener "tcp" {
  address     = "127.0.0.1:8200"
  tls_disable = true
}

api_addr  = "http://127.0.0.1:8200"
log_level = "info"
