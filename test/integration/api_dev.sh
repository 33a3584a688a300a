#!/usr/bin/env bash
# The HTTP API of a dev server, as Vault clients see it: envelope, status
# codes, KV v2 at secret/, tokens, policies, mounts, seal/unseal, bad input.
. "$(dirname "$0")/lib.sh"

start_dev d
A=$ADDR_d

# --- health and status
req GET "$A/v1/sys/health"
assert_eq "health active" 200 "$STATUS"
assert_eq "health sealed field" false "$(jq -r .sealed <<<"$BODY")"
req GET "$A/v1/sys/seal-status"
assert_eq "seal-status t" 1 "$(jq -r .t <<<"$BODY")"
assert_eq "seal-status type" shamir "$(jq -r .type <<<"$BODY")"
req HEAD "$A/v1/sys/health" "" -I
assert_eq "HEAD health" 200 "$STATUS"
req GET "$A/v1/sys/health?activecode=299"
assert_eq "custom activecode" 299 "$STATUS"
req GET "$A/v1/sys/health?activecode=abc"
assert_eq "bad activecode" 400 "$STATUS"

# --- KV v2
req POST "$A/v1/secret/data/app" '{"data":{"user":"alice","pw":"s3cr3t"}}'
assert_eq "kv2 write" 200 "$STATUS"
assert_eq "kv2 write version" 1 "$(jq -r .data.version <<<"$BODY")"
assert_contains "no-store header" "Cache-Control: no-store" "$HEADERS"
req GET "$A/v1/secret/data/app"
assert_eq "kv2 read" 200 "$STATUS"
assert_eq "kv2 read value" alice "$(jq -r .data.data.user <<<"$BODY")"
assert_eq "kv2 envelope request_id" 36 "$(jq -r '.request_id|length' <<<"$BODY")"
assert_eq "kv2 envelope mount_type" kv "$(jq -r .mount_type <<<"$BODY")"
req POST "$A/v1/secret/data/app" '{"options":{"cas":0},"data":{"x":"y"}}'
assert_eq "kv2 cas=0 on existing" 400 "$STATUS"
assert_contains "cas message" "check-and-set parameter did not match" "$BODY"
req POST "$A/v1/secret/data/app" '{"options":{"cas":1},"data":{"user":"bob"}}'
assert_eq "kv2 cas=1" 200 "$STATUS"
req DELETE "$A/v1/secret/data/app"
assert_eq "kv2 soft delete" 204 "$STATUS"
req GET "$A/v1/secret/data/app"
assert_eq "kv2 deleted version 404" 404 "$STATUS"
assert_eq "kv2 deleted envelope" null "$(jq -r .data.data <<<"$BODY")"
assert_eq "kv2 deleted metadata version" 2 "$(jq -r .data.metadata.version <<<"$BODY")"
req GET "$A/v1/secret/data/app?version=1"
assert_eq "kv2 version 1" alice "$(jq -r .data.data.user <<<"$BODY")"
req GET "$A/v1/secret/data/never"
assert_eq "kv2 missing 404" 404 "$STATUS"
assert_eq "kv2 missing body" '{"errors":[]}' "$(jq -c . <<<"$BODY")"
req LIST "$A/v1/secret/metadata/"
assert_eq "kv2 LIST" 200 "$STATUS"
assert_eq "kv2 LIST keys" '["app"]' "$(jq -c .data.keys <<<"$BODY")"
req GET "$A/v1/secret/metadata/?list=true"
assert_eq "kv2 ?list=true" '["app"]' "$(jq -c .data.keys <<<"$BODY")"
req GET "$A/v1/secret/metadata/app"
assert_eq "kv2 metadata current_version" 2 "$(jq -r .data.current_version <<<"$BODY")"

# --- bad input
req POST "$A/v1/secret/data/bad" '{"data": {'
assert_eq "malformed JSON" 400 "$STATUS"
assert_eq "malformed JSON errors list" array "$(jq -r '.errors|type' <<<"$BODY")"
head -c $((33 * 1024 * 1024)) /dev/zero | tr '\0' 'a' >"$TMP/huge"
req POST "$A/v1/secret/data/huge" "" --data-binary "@$TMP/huge"
assert_eq "body over max_request_size" 413 "$STATUS"
req GET "$A/v1/nonexistent/path"
assert_eq "unknown path" 404 "$STATUS"
req GET "$A/v1/secret/data/app" "" -H "X-Vault-Token: wrong-token"
TOKEN_SAVE=$TOKEN; TOKEN=
req GET "$A/v1/secret/data/app"
assert_eq "missing token" 403 "$STATUS"
assert_eq "missing token message" "permission denied" "$(jq -r '.errors[0]' <<<"$BODY")"
TOKEN=wrong-token
req GET "$A/v1/secret/data/app"
assert_eq "invalid token" 403 "$STATUS"
TOKEN=$TOKEN_SAVE
req GET "$A/v1/secret/data/app" "" -H "X-Vault-Token:" -H "Authorization: Bearer $TOKEN"
assert_eq "bearer token" 404 "$STATUS"
req PUT "$A/v1/sys/init" '{"secret_shares":1,"secret_threshold":1}'
assert_eq "init twice" 400 "$STATUS"
assert_contains "init twice message" "already initialized" "$BODY"

# --- policies and a limited token
req PUT "$A/v1/sys/policies/acl/reader" '{"policy":"path \"secret/data/app\" { capabilities = [\"read\"] }"}'
assert_eq "policy write" 204 "$STATUS"
req GET "$A/v1/sys/policies/acl/reader"
assert_contains "policy read" 'secret/data/app' "$(jq -r .data.policy <<<"$BODY")"
req PUT "$A/v1/sys/policies/acl/broken" '{"policy":"path \"x\" { capabilities = [\"raed\"] }"}'
assert_eq "bad policy" 400 "$STATUS"
req POST "$A/v1/auth/token/create" '{"policies":["reader"],"ttl":"1h"}'
assert_eq "token create" 200 "$STATUS"
LIMITED=$(jq -r .auth.client_token <<<"$BODY")
assert_eq "token policies" '["default","reader"]' "$(jq -c '.auth.policies|sort' <<<"$BODY")"
req POST "$A/v1/secret/data/app" '{"data":{"user":"carol"}}'
TOKEN_SAVE=$TOKEN; TOKEN=$LIMITED
req GET "$A/v1/secret/data/app"
assert_eq "limited read allowed" 200 "$STATUS"
req POST "$A/v1/secret/data/app" '{"data":{"x":"y"}}'
assert_eq "limited write denied" 403 "$STATUS"
req GET "$A/v1/secret/data/other"
assert_eq "limited other path denied" 403 "$STATUS"
req GET "$A/v1/auth/token/lookup-self"
assert_eq "lookup-self" 200 "$STATUS"
assert_eq "lookup-self ttl" true "$(jq -r '.data.ttl > 3500' <<<"$BODY")"
req PUT "$A/v1/sys/seal" ''
assert_eq "seal needs sudo" 403 "$STATUS"
req POST "$A/v1/auth/token/revoke-self" ''
assert_eq "revoke-self" 204 "$STATUS"
req GET "$A/v1/secret/data/app"
assert_eq "revoked token" 403 "$STATUS"
TOKEN=$TOKEN_SAVE

# --- cubbyhole
req POST "$A/v1/cubbyhole/note" '{"n":"1"}'
assert_eq "cubbyhole write" 204 "$STATUS"
req GET "$A/v1/cubbyhole/note"
assert_eq "cubbyhole read" 1 "$(jq -r .data.n <<<"$BODY")"

# --- mounts: a KV v1 engine
req POST "$A/v1/sys/mounts/kv1" '{"type":"kv","options":{"version":"1"}}'
assert_eq "mount kv1" 204 "$STATUS"
req POST "$A/v1/sys/mounts/kv1" '{"type":"kv"}'
assert_eq "mount twice" 400 "$STATUS"
req GET "$A/v1/sys/mounts"
assert_eq "mounts list" kv "$(jq -r '.data["kv1/"].type' <<<"$BODY")"
assert_eq "mounts inject" 1 "$(jq -r '.["kv1/"].options.version' <<<"$BODY")"
req PUT "$A/v1/kv1/a/b" '{"v":"1"}'
assert_eq "kv1 write" 204 "$STATUS"
req GET "$A/v1/kv1/a/b"
assert_eq "kv1 read" 1 "$(jq -r .data.v <<<"$BODY")"
req LIST "$A/v1/kv1/"
assert_eq "kv1 list" '["a/"]' "$(jq -c .data.keys <<<"$BODY")"
req POST "$A/v1/sys/mounts/bogus" '{"type":"nosuchengine"}'
assert_eq "unknown engine" 400 "$STATUS"
req DELETE "$A/v1/sys/mounts/kv1"
assert_eq "unmount" 204 "$STATUS"
req GET "$A/v1/kv1/a/b"
assert_eq "unmounted path" 404 "$STATUS"

# --- key rotation keeps data readable
req POST "$A/v1/sys/rotate" ''
assert_eq "rotate" 204 "$STATUS"
req GET "$A/v1/sys/key-status"
assert_eq "key term" 2 "$(jq -r .data.term <<<"$BODY")"
req GET "$A/v1/secret/data/app"
assert_eq "read after rotate" carol "$(jq -r .data.data.user <<<"$BODY")"

# --- seal and unseal
KEY=$(sed -n 's/^Unseal Key: //p' "$TMP/d.out")
req PUT "$A/v1/sys/seal" ''
assert_eq "seal" 204 "$STATUS"
req GET "$A/v1/secret/data/app"
assert_eq "sealed request" 503 "$STATUS"
req GET "$A/v1/sys/health"
assert_eq "health sealed" 503 "$STATUS"
req PUT "$A/v1/sys/unseal" '{"key":"not-a-key"}'
assert_eq "malformed unseal key" 400 "$STATUS"
req PUT "$A/v1/sys/unseal" "{\"key\":\"$KEY\"}"
assert_eq "unseal" false "$(jq -r .sealed <<<"$BODY")"
req GET "$A/v1/secret/data/app"
assert_eq "read after unseal" carol "$(jq -r .data.data.user <<<"$BODY")"

# --- secrets never reach the log
if grep -q "$TOKEN\|s3cr3t\|$KEY" "$TMP/d.err"; then fail "a secret appeared in the server log"; else ok; fi

finish
