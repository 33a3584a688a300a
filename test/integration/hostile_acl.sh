#!/usr/bin/env bash
# Hostile input against the ACL (issue #9, review F3 and F8): parameter
# constraints hold on KV and auth/token/create, on the body and the query,
# and no spelling of a policy name reaches a policy a deny protects. After
# each refused request a canary secret still reads.
. "$(dirname "$0")/lib.sh"

start_dev d
A=$ADDR_d
ROOT=$TOKEN

canary() {
    TOKEN=$ROOT req GET "$A/v1/secret/data/canary"
    assert_eq "$1: canary still reads" alive "$(jq -r .data.data.v <<<"$BODY")"
}

put_policy() {   # put_policy NAME TEXT (as root)
    TOKEN=$ROOT req PUT "$A/v1/sys/policies/acl/$1" "$(jq -n --arg p "$2" '{policy:$p}')"
}

TOKEN=$ROOT req POST "$A/v1/secret/data/canary" '{"data":{"v":"alive"}}'
assert_eq "canary write" 200 "$STATUS"

KV='capabilities = ["create", "update", "read"]'
put_policy limited "
path \"secret/data/pp\" { $KV
  denied_parameters = { \"data\" = [] } }
path \"secret/data/ap\" { $KV
  allowed_parameters = { \"options\" = [] } }
path \"secret/data/rp\" { $KV
  required_parameters = [\"options\"] }
path \"secret/data/ok/*\" { $KV
  allowed_parameters = { \"data\" = [], \"options\" = [] } }
path \"secret/data/q\" { $KV
  allowed_parameters = { \"version\" = [\"1\"] } }
path \"auth/token/create\" { capabilities = [\"create\", \"update\"]
  denied_parameters = { \"policies\" = [\"*admin*\"], \"no_parent\" = [] } }
path \"sys/policies/acl/*\" { capabilities = [\"create\", \"update\", \"read\", \"delete\"] }
path \"sys/policy/*\" { capabilities = [\"create\", \"update\", \"read\", \"delete\"] }
path \"sys/policies/acl/admin\" { capabilities = [\"deny\"] }
path \"sys/policy/admin\" { capabilities = [\"deny\"] }
path \"sys/mounts/*\" { capabilities = [\"create\", \"update\", \"read\", \"delete\", \"sudo\"] }
path \"sys/mounts/secret\" { capabilities = [\"deny\"] }
path \"sys/mounts/secret/*\" { capabilities = [\"deny\"] }
"
assert_eq "write limited policy" 204 "$STATUS"
put_policy admin 'path "*" { capabilities = ["sudo", "read", "update", "create"] }'
assert_eq "write admin policy" 204 "$STATUS"
ADMIN_TEXT=$(TOKEN=$ROOT req GET "$A/v1/sys/policies/acl/admin"; jq -r .data.policy <<<"$BODY")
put_policy dev 'path "secret/data/dev" { capabilities = ["read"] }'

TOKEN=$ROOT req POST "$A/v1/auth/token/create" '{"policies":["limited","dev"]}'
assert_eq "create limited token" 200 "$STATUS"
LT=$(jq -r .auth.client_token <<<"$BODY")

# --- F3: parameters on KV (403 "permission denied"; the canary still reads)
hostile() {   # hostile NAME METHOD PATH BODY
    TOKEN=$LT req "$2" "$A/v1/$3" "$4"
    assert_eq "$1" 403 "$STATUS"
    assert_eq "$1: error text" '["permission denied"]' "$(jq -c .errors <<<"$BODY")"
    canary "$1"
}
allowed() {   # allowed NAME METHOD PATH BODY
    TOKEN=$LT req "$2" "$A/v1/$3" "$4"
    assert_eq "$1" 200 "$STATUS"
}
hostile "denied data" POST secret/data/pp '{"data":{"a":"b"}}'
hostile "denied data, key in upper case" POST secret/data/pp '{"DATA":{"a":"b"}}'
TOKEN=$LT req POST "$A/v1/secret/data/pp" '{"options":{}}'
assert_eq "denied data: other keys reach the backend (no data: 400)" 400 "$STATUS"
hostile "only options allowed" POST secret/data/ap '{"data":{"a":"b"}}'
hostile "only options allowed, extra key" POST secret/data/ap '{"options":{},"data":{}}'
hostile "required options missing" POST secret/data/rp '{"data":{"a":"b"}}'
allowed "required options present" POST secret/data/rp '{"options":{},"data":{"a":"b"}}'
allowed "allowed data and options" POST secret/data/ok/x '{"data":{"a":"b"}}'
hostile "allowed list: unknown key" POST secret/data/ok/x '{"data":{"a":"b"},"x":1}'
hostile "query value not allowed" GET "secret/data/q?version=2" ""
TOKEN=$LT req GET "$A/v1/secret/data/q?version=1"
assert_eq "query value allowed" 404 "$STATUS"

# --- F3: parameters on auth/token/create
hostile "token create: denied policy" POST auth/token/create '{"policies":["admin"]}'
hostile "token create: denied policy among others" POST auth/token/create \
    '{"policies":["dev","admin"]}'
hostile "token create: denied glob" POST auth/token/create '{"policies":["super-admin-x"]}'
hostile "token create: denied key" POST auth/token/create '{"no_parent":true}'
hostile "token create: denied key in the query" POST "auth/token/create?no_parent=true" ""
allowed "token create: allowed policy" POST auth/token/create '{"policies":["dev"]}'
# Spellings the "*admin*" glob does not match are refused, not lowercased
# into "admin"; a comma string is a list whose every element is checked.
# (" admin" the glob denies already, so only root reaches the backend.)
for body in '{"policies":["ADMIN"]}' '{"policies":["dev","Admin"]}' \
            '{"policies":"dev,ADMIN"}' '{"policies":[" admin"]}'; do
    for as in LT ROOT; do
        [[ $as = LT && $body = *'" admin"'* ]] && continue
        TOKEN=${!as} req POST "$A/v1/auth/token/create" "$body"
        assert_eq "token create as $as: $body refused" 400 "$STATUS"
        assert_contains "token create as $as: $body message" "is not in canonical form" "$BODY"
        canary "token create as $as: $body"
    done
done
TOKEN=$ROOT req POST "$A/v1/auth/token/create" '{"policies":"dev, limited"}'
assert_eq "token create: comma list of canonical names" 200 "$STATUS"
assert_eq "token create: comma list policies" '["default","dev","limited"]' \
    "$(jq -c .auth.policies <<<"$BODY")"

# --- F8: policy names the store would normalise are refused
TOKEN=$LT req PUT "$A/v1/sys/policies/acl/admin" '{"policy":"path \"*\" { capabilities = [\"deny\"] }"}'
assert_eq "exact deny on admin" 403 "$STATUS"
for spelling in ADMIN Admin "%20admin" "admin%20" "%09admin"; do
    for base in sys/policies/acl sys/policy; do
        TOKEN=$LT req PUT "$A/v1/$base/$spelling" \
            '{"policy":"path \"*\" { capabilities = [\"deny\"] }"}'
        assert_eq "name $base/$spelling refused" 400 "$STATUS"
        # A control byte is refused by the HTTP layer before the name is seen.
        if grep -Eq "is not in canonical form|invalid request path" <<<"$BODY"; then ok
        else fail "name $base/$spelling message: [${BODY:0:300}]"; fi
        canary "name $base/$spelling"
    done
done
TOKEN=$LT req DELETE "$A/v1/sys/policy/ADMIN"
assert_eq "delete ADMIN refused" 400 "$STATUS"
TOKEN=$ROOT req PUT "$A/v1/sys/policies/acl/ADMIN" '{"policy":"path \"x\" { capabilities = [\"read\"] }"}'
assert_eq "root too: ADMIN refused" 400 "$STATUS"
TOKEN=$ROOT req GET "$A/v1/sys/policies/acl/admin"
assert_eq "admin policy unchanged" "$ADMIN_TEXT" "$(jq -r .data.policy <<<"$BODY")"
TOKEN=$LT req PUT "$A/v1/sys/policies/acl/mine" '{"policy":"path \"x\" { capabilities = [\"read\"] }"}'
assert_eq "canonical name writes" 204 "$STATUS"

# --- mount paths: a doubled or leading '/' would reach secret/ past the deny
TOKEN=$LT req DELETE "$A/v1/sys/mounts/secret"
assert_eq "exact deny on the secret mount" 403 "$STATUS"
for spelling in "/secret" "%2Fsecret" "/secret/tune" "x//" "a//b"; do
    TOKEN=$LT req POST "$A/v1/sys/mounts/$spelling" '{"default_lease_ttl":"1h","type":"kv"}'
    assert_eq "mount $spelling: write refused" 400 "$STATUS"
    # An empty segment is refused by the HTTP layer already; the mount
    # table refuses it too, for callers that do not come through HTTP.
    if grep -Eq "has an empty segment|invalid request path" <<<"$BODY"; then ok
    else fail "mount $spelling: message: [${BODY:0:300}]"; fi
    canary "mount $spelling"
done
for spelling in "/secret" "%2Fsecret"; do
    TOKEN=$LT req DELETE "$A/v1/sys/mounts/$spelling"
    assert_eq "mount $spelling: delete refused" 400 "$STATUS"
    canary "mount $spelling: delete"
done
TOKEN=$LT req POST "$A/v1/sys/mounts/other/" '{"type":"kv"}'
assert_eq "mount with one trailing '/' (as the CLI sends)" 204 "$STATUS"

# --- a rule the server cannot enforce is refused when written
put_policy wrap 'path "secret/*" { capabilities = ["read"]
  min_wrapping_ttl = "1m" }'
assert_eq "unenforceable rule refused" 400 "$STATUS"
assert_contains "unenforceable rule message" "min_wrapping_ttl cannot be enforced" "$BODY"
canary "unenforceable rule"

finish
