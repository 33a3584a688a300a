# A two-listener server with split HA storage.
listener "tcp" {
  address       = "0.0.0.0:8200"
  tls_cert_file = "/etc/coffer/tls.crt"
  tls_key_file  = "/etc/coffer/tls.key"
  tls_min_version = "tls12"
}
listener "tcp" { address = "127.0.0.1:9200", tls_disable = true }
storage "raft" {
  path    = "/var/lib/coffer"
  node_id = "n1"
  retry_join { leader_api_addr = "https://n2:8200" }
}
ha_storage "zookeeper" { address = "zk1:2181,zk2:2181"  path = "coffer/" }
api_addr = "https://node1.example.com:8200"
/* block comment */
default_lease_ttl = "1h"
max_lease_ttl = 86400
ui = true
disable_mlock = "1"
log_level = "warn"
