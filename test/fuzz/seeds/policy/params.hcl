# parameter constraints, TTLs and a templated path
path "secret/{{identity.entity.id}}/*" {
  capabilities = ["create", "update", "patch"]
  allowed_parameters = {
    "Foo" = []
    "bar" = ["zip", 1, true]
    "*" = []
  }
  denied_parameters = { "Salt" = [] }
  required_parameters = ["Foo", "bar"]
  min_wrapping_ttl = "1s"
  max_wrapping_ttl = "90m"
}
path "auth/token/create" {
  policy = "sudo"
}
