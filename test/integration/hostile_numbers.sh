#!/usr/bin/env bash
# Hostile numbers (issue #9): TTLs, counts, versions and status codes an
# untrusted client sends at and past their limits are each answered, and
# the server still serves a canary secret afterwards.
. "$(dirname "$0")/lib.sh"

start_dev d
A=$ADDR_d
M=(-m 10)   # every request bounded: a dropped or stalled answer fails fast

req POST "$A/v1/secret/data/canary" '{"data":{"v":"alive"}}' "${M[@]}"
assert_eq "canary write" 200 "$STATUS"

# hostile NAME METHOD PATH BODY STATUS [TEXT]: the answer, then the canary.
hostile() {
    local name=$1 method=$2 path=$3 body=$4 want=$5 text=${6:-}
    req "$method" "$A/v1/$path" "$body" "${M[@]}"
    assert_eq "$name: status" "$want" "$STATUS"
    [ -n "$text" ] && assert_contains "$name: message" "$text" "$BODY"
    req GET "$A/v1/secret/data/canary" "" "${M[@]}"
    assert_eq "$name: canary" alive "$(jq -r .data.data.v <<<"$BODY" 2>/dev/null)"
}

LONG="longer than the maximum duration of 9223372036s"
# --- tokens (F14: explicit_max_ttl 9e18 made a token dead on arrival)
hostile "explicit_max_ttl 9e18" POST auth/token/create \
    '{"explicit_max_ttl":9000000000000000000}' 400 "$LONG"
hostile "ttl 99999999999999999999h" POST auth/token/create \
    '{"ttl":"99999999999999999999h"}' 400 "$LONG"
hostile "ttl 1e18h" POST auth/token/create '{"ttl":"1e18h"}' 400 "$LONG"
hostile "num_uses 2^63" POST auth/token/create '{"num_uses":9223372036854775808}' 400 \
    "expected an integer"
hostile "num_uses \"2^63\"" POST auth/token/create '{"num_uses":"9223372036854775808"}' 400 \
    "expected an integer"
req POST "$A/v1/auth/token/create" '{"explicit_max_ttl":9223372036}' "${M[@]}"
assert_eq "longest explicit_max_ttl" 200 "$STATUS"
LT=$(jq -r .auth.client_token <<<"$BODY")
ROOT=$TOKEN; TOKEN=$LT
req GET "$A/v1/auth/token/lookup-self" "" "${M[@]}"
TOKEN=$ROOT
assert_eq "longest explicit_max_ttl: token lives" 200 "$STATUS"
assert_contains "longest explicit_max_ttl: expires in the 2300s" '"expire_time":"23' "$BODY"
hostile "renew increment 9e18" POST auth/token/renew-self \
    '{"increment":9000000000000000000}' 400 "$LONG"

# --- KV v2
hostile "max_versions 2^40" POST secret/config '{"max_versions":1099511627776}' 204
hostile "max_versions 2^63" POST secret/config '{"max_versions":9223372036854775808}' 400 \
    "invalid max_versions"
hostile "cas 2^63" POST secret/data/canary '{"options":{"cas":9223372036854775808},"data":{}}' \
    400 "error parsing check-and-set parameter"
hostile "cas 2^63-1" POST secret/data/canary '{"options":{"cas":9223372036854775807},"data":{}}' \
    400 "did not match the current version"
hostile "version 2^63" GET "secret/data/canary?version=9223372036854775808" "" 400
hostile "delete_version_after 1e18h" POST secret/metadata/canary \
    '{"delete_version_after":"1e18h"}' 400 "at most 9223372036s"
hostile "delete_version_after longest" POST secret/metadata/other \
    '{"delete_version_after":9223372036}' 204
req POST "$A/v1/secret/data/other" '{"data":{"v":"kept"}}' "${M[@]}"
assert_eq "longest delete_version_after: write" 200 "$STATUS"
req GET "$A/v1/secret/data/other" "" "${M[@]}"
assert_eq "longest delete_version_after: not deleted at once" kept \
    "$(jq -r .data.data.v <<<"$BODY")"

# --- mounts
hostile "mount default_lease_ttl 9e18" POST sys/mounts/big \
    '{"type":"kv","config":{"default_lease_ttl":9000000000000000000}}' 400 "at most 9223372036s"
hostile "mount max_lease_ttl 99999999999999999999h" POST sys/mounts/big \
    '{"type":"kv","config":{"max_lease_ttl":"99999999999999999999h"}}' 400 "at most 9223372036s"
hostile "tune max_lease_ttl 9e18" POST sys/mounts/secret/tune \
    '{"max_lease_ttl":9000000000000000000}' 400 "at most 9223372036s"

# --- health codes (F18: ?activecode=99 dropped the connection unanswered)
hostile "activecode=99" GET "sys/health?activecode=99" "" 400 "unable to parse activecode code"
hostile "activecode=1000" GET "sys/health?activecode=1000" "" 400
hostile "activecode=-1" GET "sys/health?activecode=-1" "" 400
hostile "activecode=0" GET "sys/health?activecode=0" "" 400
hostile "activecode=2^32+200" GET "sys/health?activecode=4294967496" "" 400
hostile "activecode=2^64+200" GET "sys/health?activecode=18446744073709551816" "" 400
hostile "standbycode=1" GET "sys/health?standbycode=1" "" 400
hostile "activecode=100" GET "sys/health?activecode=100" "" 400   # interim only
hostile "activecode=199" GET "sys/health?activecode=199" "" 400
hostile "activecode=200" GET "sys/health?activecode=200" "" 200
hostile "activecode=999" GET "sys/health?activecode=999" "" 999

finish
