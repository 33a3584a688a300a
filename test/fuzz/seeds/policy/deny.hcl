path "sys/*" {
  capabilities = ["deny", "read", "sudo"]
  allowed_parameters = { "x" = ["y"] }
  mfa_methods = ["totp"]
}
path "kv/+/x" { capabilities = [] }
path "kv/*" { capabilities = ["subscribe", "recover", "list"] control_group = { max_ttl = "1h" } }
