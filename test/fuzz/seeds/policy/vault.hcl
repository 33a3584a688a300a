# Vault's default policy, abridged
path "auth/token/lookup-self" {
    capabilities = ["read"]
}
path "sys/capabilities-self" { capabilities = ["update"] }
path "cubbyhole/*" {
    capabilities = ["create", "read", "update", "delete", "list"]
}
path "sys/wrapping/wrap" { capabilities = ["update"] }
