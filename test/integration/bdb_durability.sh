#!/usr/bin/env bash
# A server on Berkeley DB: operator init (5 shares, threshold 3), unseal
# with three keys, concurrent writes, kill -9, restart: every acknowledged
# write is there.
. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
A="http://127.0.0.1:$PORT"
mkdir -p "$TMP/data"
cat >"$TMP/coffer.hcl" <<HCL
storage "bdb" {
  path = "$TMP/data"
}
listener "tcp" {
  address     = "127.0.0.1:$PORT"
  tls_disable = true
}
api_addr = "$A"
disable_mlock = true
HCL

start_cfg s "$TMP/coffer.hcl"
wait_up "$A" s
grep -q "Storage: bdb (HA disabled)" "$TMP/s.out" && ok || fail "storage banner line: $(cat "$TMP/s.out")"

TOKEN=
req GET "$A/v1/sys/health"
assert_eq "uninitialized health" 501 "$STATUS"
req PUT "$A/v1/sys/init" '{"secret_shares":5,"secret_threshold":3}'
assert_eq "init" 200 "$STATUS"
mapfile -t KEYS < <(jq -r '.keys[]' <<<"$BODY")
mapfile -t KEYS64 < <(jq -r '.keys_base64[]' <<<"$BODY")
ROOT=$(jq -r .root_token <<<"$BODY")
assert_eq "five keys" 5 "${#KEYS[@]}"
req PUT "$A/v1/sys/init" '{"secret_shares":5,"secret_threshold":3}'
assert_eq "init twice" 400 "$STATUS"

req PUT "$A/v1/sys/unseal" "{\"key\":\"${KEYS[0]}\"}"
assert_eq "progress 1" 1 "$(jq -r .progress <<<"$BODY")"
req PUT "$A/v1/sys/unseal" '{"key":"zz-not-hex-or-base64!!"}'
assert_eq "bad key 400" 400 "$STATUS"
req GET "$A/v1/sys/seal-status"
assert_eq "progress intact after bad key" 1 "$(jq -r .progress <<<"$BODY")"
req PUT "$A/v1/sys/unseal" "{\"key\":\"${KEYS64[1]}\"}"
assert_eq "progress 2 (base64 key)" 2 "$(jq -r .progress <<<"$BODY")"
req PUT "$A/v1/sys/unseal" "{\"key\":\"${KEYS[2]}\"}"
assert_eq "unsealed" false "$(jq -r .sealed <<<"$BODY")"

TOKEN=$ROOT
req POST "$A/v1/sys/mounts/secret" '{"type":"kv","options":{"version":"2"}}'
assert_eq "mount kv2" 204 "$STATUS"

# 8 writers, 25 writes each; remember what was acknowledged.
: >"$TMP/acked"
WP=()
for w in $(seq 8); do
    (
        for i in $(seq 25); do
            code=$(curl -s -o /dev/null -w '%{http_code}' -H "X-Vault-Token: $ROOT" \
                -X POST --data "{\"data\":{\"v\":\"$w-$i\"}}" "$A/v1/secret/data/w$w/k$i")
            [ "$code" = 200 ] && echo "w$w/k$i $w-$i" >>"$TMP/acked.$w"
        done
    ) &
    WP+=($!)
done
for p in "${WP[@]}"; do wait "$p"; done
cat "$TMP"/acked.* >"$TMP/acked"
assert_eq "all writes acknowledged" 200 "$(wc -l <"$TMP/acked")"

kill -9 "$PID_s"
wait "$PID_s" 2>/dev/null || true

start_cfg s2 "$TMP/coffer.hcl"
wait_up "$A" s2
TOKEN=
req GET "$A/v1/sys/seal-status"
assert_eq "restarted sealed" true "$(jq -r .sealed <<<"$BODY")"
assert_eq "restarted initialized" true "$(jq -r .initialized <<<"$BODY")"
assert_eq "restarted threshold" 3 "$(jq -r .t <<<"$BODY")"
for k in 3 4 0; do req PUT "$A/v1/sys/unseal" "{\"key\":\"${KEYS[$k]}\"}"; done
assert_eq "unsealed after restart" false "$(jq -r .sealed <<<"$BODY")"

TOKEN=$ROOT
missing=0
while read -r path val; do
    got=$(curl -s -H "X-Vault-Token: $ROOT" "$A/v1/secret/data/$path" | jq -r .data.data.v)
    [ "$got" = "$val" ] || { missing=$((missing + 1)); echo "lost: $path ($got)" >&2; }
done <"$TMP/acked"
assert_eq "acknowledged writes lost after kill -9" 0 "$missing"

# A wrong (well-formed) key set: progress resets at the threshold, still sealed.
req PUT "$A/v1/sys/seal" ''
assert_eq "seal" 204 "$STATUS"
TOKEN=
BAD=$(printf '%066x' 7)
for _ in 1 2; do req PUT "$A/v1/sys/unseal" "{\"key\":\"${KEYS[0]}\"}"; done
assert_eq "duplicate share counts once" 1 "$(jq -r .progress <<<"$BODY")"
req PUT "$A/v1/sys/unseal" "{\"key\":\"${KEYS[1]}\"}"
req PUT "$A/v1/sys/unseal" "{\"key\":\"$BAD\"}"
assert_eq "wrong key set rejected" 400 "$STATUS"
req GET "$A/v1/sys/seal-status"
assert_eq "still sealed" true "$(jq -r .sealed <<<"$BODY")"

finish
