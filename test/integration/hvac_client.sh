#!/usr/bin/env bash
# Vault's own Python client (hvac, Debian's python3-hvac) against a dev server.
. "$(dirname "$0")/lib.sh"

PY=/usr/bin/python3
if ! "$PY" -c 'import hvac' 2>/dev/null; then
    echo "python3-hvac is not installed (apt-get install python3-hvac)" >&2
    exit 1
fi
start_dev h
VAULT_ADDR=$ADDR_h VAULT_TOKEN=$TOKEN "$PY" - <<'PYEOF'
import os, sys, hvac
c = hvac.Client(url=os.environ["VAULT_ADDR"], token=os.environ["VAULT_TOKEN"])
checks = fails = 0
def check(what, cond):
    global checks, fails
    checks += 1
    if not cond:
        fails += 1
        print("FAIL:", what, file=sys.stderr)
check("authenticated", c.is_authenticated())
check("initialized", c.sys.is_initialized())
check("not sealed", not c.sys.is_sealed())
c.secrets.kv.v2.create_or_update_secret(path="hvac/app", secret={"k": "v"})
r = c.secrets.kv.v2.read_secret_version(path="hvac/app")
check("kv2 read", r["data"]["data"] == {"k": "v"})
check("kv2 version", r["data"]["metadata"]["version"] == 1)
c.secrets.kv.v2.create_or_update_secret(path="hvac/app", secret={"k": "w"})
m = c.secrets.kv.v2.read_secret_metadata(path="hvac/app")
check("metadata", m["data"]["current_version"] == 2)
l = c.secrets.kv.v2.list_secrets(path="hvac")
check("list", l["data"]["keys"] == ["app"])
c.sys.create_or_update_policy(name="p1", policy='path "secret/*" { capabilities = ["read"] }')
check("policy read", "secret/*" in c.sys.read_policy(name="p1")["data"]["rules"])
t = c.auth.token.create(policies=["p1"], ttl="1h")
check("token create", t["auth"]["client_token"].startswith("hvs."))
look = c.auth.token.lookup(t["auth"]["client_token"])
check("token lookup", "p1" in look["data"]["policies"])
c.sys.enable_secrets_engine("kv", path="v1", options={"version": "1"})
c.secrets.kv.v1.create_or_update_secret(path="x", secret={"a": "b"}, mount_point="v1")
check("kv1", c.secrets.kv.v1.read_secret(path="x", mount_point="v1")["data"] == {"a": "b"})
check("mounts", "v1/" in c.sys.list_mounted_secrets_engines()["data"])
try:
    c.secrets.kv.v2.read_secret_version(path="hvac/none")
    check("missing raises", False)
except hvac.exceptions.InvalidPath:
    check("missing raises InvalidPath", True)
h = c.sys.read_health_status(method="GET")
check("health", h["initialized"] and not h["sealed"])
print(f"{checks - fails} passed, {fails} failed")
sys.exit(1 if fails else 0)
PYEOF
