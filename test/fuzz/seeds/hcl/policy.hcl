path "secret/data/app/*" { capabilities = ["create", "read", "update", "delete", "list",] }
path "secret/+/teamb" { capabilities = ["read"] }
path "sys/audit*" {
  capabilities = ["read", "sudo"]
  allowed_parameters = { "type" = ["file"] }
  min_wrapping_ttl = -1.5e3
}
