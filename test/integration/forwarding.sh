#!/usr/bin/env bash
# Request forwarding over a real ZooKeeper: three coffer nodes on loopback;
# standbys forward every request but the unauthenticated sys endpoints to
# the active node over mutual TLS and relay its answer unchanged (status,
# headers, body), large bodies included; 64 parallel clients; the cluster
# port refuses foreign TLS clients; X-Vault-No-Request-Forwarding gives the
# 307; sys/ha-status lists the standbys; kill -9 of the active under load
# gives only right answers, 307s or 5xx, and the survivor forwards to the
# new active node.
# Needs $COFFER_BIN (lib.sh defaults it to ./coffer), Java + ZooKeeper's
# jars (zk.sh), jq and gnutls-cli; skipped (exit 77) without them.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/zk.sh"

exec </dev/null
export HOME="$TMP/home"
mkdir -p "$HOME"
unset VAULT_TOKEN VAULT_ADDR VAULT_FORMAT VAULT_CACERT VAULT_SKIP_VERIFY \
    VAULT_API_ADDR VAULT_CLUSTER_ADDR || true

if ! command -v java >/dev/null || [ ! -r "${ZK_JARS%%:*}" ]; then
    echo "SKIP: java or ZooKeeper jars ($ZK_JARS) not installed"
    exit 77
fi
for t in jq gnutls-cli gnutls-serv certtool; do
    command -v $t >/dev/null || { echo "SKIP: $t not installed"; exit 77; }
done

# ZooKeeper sessions of 4 s: with 64 clients on a small machine, 2 s
# sessions sometimes drop, and the test is about forwarding, not that.
SESSION=4
N=3
# The transport named as an operator would; the default is the same "tls".
CLUSTER_EXTRA='transport "tls" {}'
. "$(dirname "$0")/cluster.sh"

MAX_REQ=$((32 * 1024 * 1024))    # the listeners' default max_request_size
NOFWD=(-H "X-Vault-No-Request-Forwarding: 1")

# fetch TAG NODE METHOD PATH [curl args]: one request with the root token;
# TAG.code, TAG.body and TAG.hdr (headers without Date, CR stripped) in
# $TMP; STATUS, BODY and HEADERS as lib.sh's req sets them.
fetch() {
    local tag=$1 node=$2 method=$3 path=$4
    shift 4
    STATUS=$(curl -s --max-time 30 -X "$method" -o "$TMP/$tag.body" -D "$TMP/$tag.raw" \
        -w '%{http_code}' -H "X-Vault-Token: $TOKEN" "$@" "${ADDR[$node]}/v1/$path") || STATUS=000
    echo "$STATUS" >"$TMP/$tag.code"
    tr -d '\r' <"$TMP/$tag.raw" | grep -iv '^date:' >"$TMP/$tag.hdr" || true
    BODY=$(cat "$TMP/$tag.body")
    HEADERS=$(cat "$TMP/$tag.hdr")
}

# same_answer WHAT TAG_DIRECT TAG_VIA [jq filter]: status, headers (but
# Date) and body byte for byte; with a jq filter, the bodies are compared
# after it (to drop the per-request request_id, times).
same_answer() {
    local what=$1 a=$2 b=$3 filt=${4:-}
    assert_eq "$what: status" "$(cat "$TMP/$a.code")" "$(cat "$TMP/$b.code")"
    if cmp -s "$TMP/$a.hdr" "$TMP/$b.hdr"; then ok
    else fail "$what: headers differ: $(diff "$TMP/$a.hdr" "$TMP/$b.hdr" | tr '\n' ' ' | head -c 600)"; fi
    if [ -n "$filt" ]; then
        jq -cS "$filt" "$TMP/$a.body" >"$TMP/$a.norm" 2>/dev/null || cp "$TMP/$a.body" "$TMP/$a.norm"
        jq -cS "$filt" "$TMP/$b.body" >"$TMP/$b.norm" 2>/dev/null || cp "$TMP/$b.body" "$TMP/$b.norm"
        if cmp -s "$TMP/$a.norm" "$TMP/$b.norm"; then ok
        else fail "$what: bodies differ: direct [$(head -c 300 "$TMP/$a.body")] via standby [$(head -c 300 "$TMP/$b.body")]"; fi
    else
        if cmp -s "$TMP/$a.body" "$TMP/$b.body"; then ok
        else fail "$what: bodies differ: direct [$(head -c 300 "$TMP/$a.body")] via standby [$(head -c 300 "$TMP/$b.body")]"; fi
    fi
}

hdr() { sed -n "s/^$1: //Ip" "$TMP/$2.hdr" | head -1; }

cluster_up
S1=${STANDBYS[0]} S2=${STANDBYS[1]}
echo "active node $A, standbys $S1 $S2"
for i in $(seq $N); do
    if grep -qi 'request forwarding off' "$TMP/n$i.err" "$TMP/n$i.out"; then
        fail "node $i runs without forwarding: $(grep -hi 'request forwarding off' "$TMP/n$i.err" "$TMP/n$i.out" | head -1)"
    fi
done

# --- the unauthenticated sys endpoints are the standby's own answers
assert_eq "health on a standby is its own (429)" 429 "$(health "$S1")"
req GET "${ADDR[$S1]}/v1/sys/leader"
assert_eq "sys/leader on a standby: is_self" false "$(jq -r .is_self <<<"$BODY")"
assert_eq "sys/leader on a standby: leader" "${ADDR[$A]}" "$(jq -r .leader_address <<<"$BODY")"
req GET "${ADDR[$S2]}/v1/sys/seal-status"
assert_eq "seal-status on a standby" "200 false" "$STATUS $(jq -r .sealed <<<"$BODY")"
req GET "${ADDR[$S2]}/v1/sys/init"
assert_eq "sys/init on a standby" "200 true" "$STATUS $(jq -r .initialized <<<"$BODY")"

# --- writes and reads through each standby
fetch mount "$S1" POST sys/mounts/secret --data '{"type":"kv","options":{"version":"2"}}'
assert_eq "mount kv v2 through a standby" 204 "$STATUS"
fetch mounts "$A" GET sys/mounts
assert_eq "the mount is on the active node" 2 "$(jq -r '.data["secret/"].options.version' <<<"$BODY")"
for s in "$S1" "$S2"; do
    fetch w "$s" POST "secret/data/via$s" --data "{\"data\":{\"v\":\"from-$s\"}}"
    assert_eq "write through standby $s" "200 1" "$STATUS $(jq -r .data.version <<<"$BODY" 2>/dev/null)"
    assert_eq "write through standby $s: no Location" "" "$(hdr location w)"
    for r in "$S1" "$S2" "$A"; do
        fetch r "$r" GET "secret/data/via$s"
        assert_eq "read via$s on node $r" "200 from-$s" "$STATUS $(jq -r .data.data.v <<<"$BODY" 2>/dev/null)"
    done
done
fetch w "$A" POST secret/data/direct --data '{"data":{"v":"on-active"}}'
fetch r "$S2" GET secret/data/direct
assert_eq "direct write read through a standby" "200 on-active" "$STATUS $(jq -r .data.data.v <<<"$BODY")"
fetch w "$S1" POST "secret/data/via$S1" --data '{"data":{"v":"second"}}'
assert_eq "second version through a standby" "200 2" "$STATUS $(jq -r .data.version <<<"$BODY")"
fetch r "$S2" GET "secret/data/via$S1?version=1"
assert_eq "query string forwarded (version=1)" "200 from-$S1 1" \
    "$STATUS $(jq -r '.data.data.v, .data.metadata.version' <<<"$BODY" | tr '\n' ' ' | sed 's/ $//')"
fetch l "$S2" LIST secret/metadata/
assert_eq "LIST through a standby" "direct via$S1 via$S2" \
    "$(jq -r '.data.keys | sort | join(" ")' <<<"$BODY" 2>/dev/null)"

# --- answers relayed exactly: direct on the active vs through each standby
# cmp_all WHAT [jq filter] -- METHOD PATH [curl args]
cmp_all() {
    local what=$1 filt=$2
    shift 3
    fetch d "$A" "$@"
    for s in "$S1" "$S2"; do
        fetch "v$s" "$s" "$@"
        same_answer "$what via $s" d "v$s" "$filt"
    done
}
cmp_all "404" "" -- GET secret/data/missing
assert_eq "404 body" '{"errors":[]}' "$(cat "$TMP/d.body")"
assert_eq "404 status" 404 "$(cat "$TMP/v$S1.code")"
assert_eq "404 Content-Type" application/json "$(hdr content-type "v$S1")"
assert_eq "404 Cache-Control" no-store "$(hdr cache-control "v$S1")"
TOKEN=not-a-token cmp_all "403 bad token" "" -- GET "secret/data/via$S1"
assert_eq "403 status" 403 "$(cat "$TMP/v$S2.code")"
assert_contains "403 body" "permission denied" "$(cat "$TMP/v$S2.body")"
cmp_all "400 malformed JSON" "" -- POST secret/data/bad --data '{"data":{"v":'
assert_eq "400 status" 400 "$(cat "$TMP/v$S1.code")"
cmp_all "405" "" -- DELETE sys/mounts
assert_eq "405 status" 405 "$(cat "$TMP/v$S1.code")"
cmp_all "200 read" 'del(.request_id)' -- GET "secret/data/via$S2"
assert_eq "200 status" 200 "$(cat "$TMP/v$S1.code")"
assert_eq "200 Content-Type" application/json "$(hdr content-type "v$S1")"
assert_eq "200 Cache-Control" no-store "$(hdr cache-control "v$S1")"
fetch w "$A" POST secret/data/gone1 --data '{"data":{"v":"x"}}'
fetch w "$A" POST secret/data/gone2 --data '{"data":{"v":"x"}}'
fetch d "$A" DELETE secret/metadata/gone1
fetch "v$S1" "$S1" DELETE secret/metadata/gone2
same_answer "204 delete" d "v$S1"
assert_eq "204 status" 204 "$(cat "$TMP/v$S1.code")"
assert_eq "204 empty body" 0 "$(stat -c %s "$TMP/v$S1.body")"
fetch r "$A" GET secret/data/gone2
assert_eq "delete through a standby landed" 404 "$STATUS"

# --- large bodies: 30 MiB of JSON in, ~512 KiB values out, 413 above max
python3 - "$TMP/big.json" "$TMP/over.json" "$MAX_REQ" <<'EOF'
import json, sys
# strings of 1 MiB, Vault's max_json_string_value_length
mib = 'p' * (1024 * 1024)
open(sys.argv[1], 'w').write(json.dumps({"data": {"v": "big-ok"}, "pad": [mib] * 30}))
n = int(sys.argv[3]) // len(mib) + 1
open(sys.argv[2], 'w').write(json.dumps({"data": {"v": "over"}, "pad": [mib] * n}))
EOF
fetch big "$S1" POST secret/data/big --data-binary "@$TMP/big.json"
assert_eq "30 MiB request through a standby" 200 "$STATUS"
fetch r "$A" GET secret/data/big
assert_eq "30 MiB request landed" big-ok "$(jq -r .data.data.v <<<"$BODY")"
fetch d "$A" POST secret/data/over --data-binary "@$TMP/over.json"
fetch "v$S2" "$S2" POST secret/data/over --data-binary "@$TMP/over.json"
assert_eq "over max_request_size through a standby" 413 "$STATUS"
same_answer "413" d "v$S2"
rm -f "$TMP/big.json" "$TMP/over.json"
head -c 393216 /dev/urandom | base64 -w0 >"$TMP/val"
printf '{"data":{"v":"%s"}}' "$(cat "$TMP/val")" >"$TMP/val.json"
fetch w "$S2" POST secret/data/large --data-binary "@$TMP/val.json"
assert_eq "512 KiB value written through a standby" 200 "$STATUS"
fetch r "$S1" GET secret/data/large
jq -j .data.data.v "$TMP/r.body" >"$TMP/val.back" 2>/dev/null || true
if cmp -s "$TMP/val" "$TMP/val.back"; then ok
else fail "512 KiB value read through a standby differs ($STATUS, $(stat -c %s "$TMP/r.body") bytes)"; fi

# --- 64 clients hammering the standbys
fetch w "$A" POST secret/data/fixed --data '{"data":{"v":"fixed-value"}}'
ITER=${FWD_ITER:-6}
worker() {
    local c=$1 j s o val code body good=0
    for j in $(seq $ITER); do
        if (( (c + j) % 2 )); then s=$S1 o=$S2; else s=$S2 o=$S1; fi
        val="c$c-j$j-$RANDOM"
        code=$(curl -s --max-time 20 -o "$TMP/w$c.b" -w '%{http_code}' -H "X-Vault-Token: $TOKEN" \
            --data "{\"data\":{\"v\":\"$val\"}}" "${ADDR[$s]}/v1/secret/data/c$c/$j") || code=000
        body=$(<"$TMP/w$c.b")
        [[ $code == 200 && $body == *'"version":1'* ]] || { echo "write c$c/$j via $s: $code ${body:0:200}"; continue; }
        code=$(curl -s --max-time 20 -o "$TMP/w$c.b" -w '%{http_code}' -H "X-Vault-Token: $TOKEN" \
            "${ADDR[$o]}/v1/secret/data/c$c/$j") || code=000
        body=$(<"$TMP/w$c.b")
        [[ $code == 200 && $body == *"\"data\":{\"v\":\"$val\"}"* ]] ||
            { echo "read c$c/$j via $o: $code ${body:0:200}"; continue; }
        code=$(curl -s --max-time 20 -o "$TMP/w$c.b" -w '%{http_code}' -H "X-Vault-Token: $TOKEN" \
            "${ADDR[$s]}/v1/secret/data/fixed") || code=000
        body=$(<"$TMP/w$c.b")
        [[ $code == 200 && $body == *'"data":{"v":"fixed-value"}'* ]] ||
            { echo "read fixed via $s: $code ${body:0:200}"; continue; }
        good=$((good + 1))
    done
    echo "$good" >"$TMP/w$c.good"
}
T0=$(now_ms)
WPIDS=()
for c in $(seq 64); do
    worker "$c" >"$TMP/w$c.bad" 2>&1 &
    WPIDS+=("$!")
    PIDS+=("$!")
done
for p in "${WPIDS[@]}"; do wait "$p" 2>/dev/null || true; done
T1=$(now_ms)
GOOD=$(cat "$TMP"/w*.good 2>/dev/null | awk '{s += $1} END {print s + 0}') || true
echo "64 clients: $((64 * ITER * 3)) requests through standbys in $(ms_to_s $((T1 - T0))) s"
assert_eq "64 clients: rounds with every answer right" $((64 * ITER)) "$GOOD"
if [ "$GOOD" != $((64 * ITER)) ]; then
    cat "$TMP"/w*.bad | head -10 >&2 || true
fi

# --- the cluster port: open on the active node only, mutual TLS only
CPORT=$((PORT[A] + 1))
if (exec 3<>"/dev/tcp/127.0.0.1/$CPORT") 2>/dev/null; then ok
else fail "cluster port $CPORT of the active node is not open"; fi
for s in "$S1" "$S2"; do
    if (exec 3<>"/dev/tcp/127.0.0.1/$((PORT[s] + 1))") 2>/dev/null; then
        fail "cluster port of standby $s is open"
    else ok; fi
done
mkfifo "$TMP/idle"
exec 7<>"$TMP/idle"             # a stdin that never delivers data nor EOF
# tls_probe PORT [gnutls-cli args]: TLS_RC (124 = still connected after
# 3 s, i.e. served), TLS_OUT.
tls_probe() {
    local port=$1
    shift
    TLS_RC=0
    timeout 3 gnutls-cli --insecure --port="$port" "$@" 127.0.0.1 \
        <"$TMP/idle" >"$TMP/tls.out" 2>&1 || TLS_RC=$?
    TLS_OUT=$(cat "$TMP/tls.out")
}
# refused WHAT: the server sent its certificate, then ended the session
# within 3 s.
refused() {
    if [ "$TLS_RC" != 124 ] && [[ $TLS_OUT == *"certificate list"* ]] &&
       [[ $TLS_OUT != *"Could not connect"* ]]; then ok
    else fail "$1: not refused (gnutls-cli exit $TLS_RC): $(tail -5 <<<"$TLS_OUT" | tr '\n' ' ')"; fi
}
for n in evil ctl; do
    certtool --generate-privkey --ecc --curve secp521r1 --outfile "$TMP/$n.key" >/dev/null 2>&1
    printf 'cn = "fw-%s"\nexpiration_days = 1\nsigning_key\nencryption_key\ntls_www_client\ntls_www_server\nca\ncert_signing_key\n' \
        "$n" >"$TMP/$n.tmpl"
    certtool --generate-self-signed --load-privkey "$TMP/$n.key" --template "$TMP/$n.tmpl" \
        --outfile "$TMP/$n.crt" >/dev/null 2>&1
done
# The probe's positive control: a TLS server that accepts anyone.
CTLPORT=$(free_port)
gnutls-serv --port="$CTLPORT" --x509certfile="$TMP/ctl.crt" --x509keyfile="$TMP/ctl.key" \
    --echo >"$TMP/ctl.log" 2>&1 &
CTLPID=$!
PIDS+=("$CTLPID")
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$CTLPORT") 2>/dev/null && break; sleep 0.1; done
tls_probe "$CTLPORT"
assert_eq "probe control: an open TLS server keeps the session" 124 "$TLS_RC"
kill "$CTLPID" 2>/dev/null || true
wait "$CTLPID" 2>/dev/null || true
tls_probe "$CPORT"
refused "cluster port, no client certificate (TLS 1.3)"
# GnuTLS prints a P-521 key as 528 bits (66 bytes).
matches "cluster port certificate is ECDSA P-521" 'EC/ECDSA key 52[18] bits' "$TLS_OUT"
tls_probe "$CPORT" --priority='NORMAL:-VERS-ALL:+VERS-TLS1.2'
refused "cluster port, no client certificate (TLS 1.2)"
tls_probe "$CPORT" --x509certfile="$TMP/evil.crt" --x509keyfile="$TMP/evil.key"
refused "cluster port, another self-signed P-521 certificate (TLS 1.3)"
tls_probe "$CPORT" --x509certfile="$TMP/evil.crt" --x509keyfile="$TMP/evil.key" \
    --priority='NORMAL:-VERS-ALL:+VERS-TLS1.2'
refused "cluster port, another self-signed P-521 certificate (TLS 1.2)"
exec 7>&-
fetch r "$S1" GET secret/data/fixed
assert_eq "forwarding still works after the probes" "200 fixed-value" "$STATUS $(jq -r .data.data.v <<<"$BODY")"

# --- X-Vault-No-Request-Forwarding: the 307 of the HA issue
fetch r "$S1" GET "secret/data/fixed?version=1&x=a%2Fb" "${NOFWD[@]}"
assert_eq "no-forwarding header: 307" 307 "$STATUS"
assert_eq "no-forwarding header: Location" "${ADDR[$A]}/v1/secret/data/fixed?version=1&x=a%2Fb" "$(hdr location r)"
fetch r "$S2" PUT secret/data/notforwarded "${NOFWD[@]}" --data '{"data":{"v":"x"}}'
assert_eq "no-forwarding header on a write: 307" 307 "$STATUS"
fetch r "$A" GET secret/data/notforwarded
assert_eq "the redirected write did not land" 404 "$STATUS"

# --- sys/ha-status and operator members list the standbys
HA_OK=0
for _ in $(seq 60); do
    fetch ha "$A" GET sys/ha-status
    n=$(jq '[.data.nodes[] | select(.active_node == false and .last_echo != null)] | length' \
        "$TMP/ha.body" 2>/dev/null || echo 0)
    [ "$n" = 2 ] && { HA_OK=1; break; }
    sleep 0.25
done
assert_eq "ha-status on the active lists both standbys with last_echo (body: ${BODY:0:300})" 1 "$HA_OK"
assert_eq "ha-status api addresses" "$(printf '%s\n' "${ADDR[@]}" | sort | tr '\n' ' ')" \
    "$(jq -r '.data.nodes[].api_address' "$TMP/ha.body" 2>/dev/null | sort | tr '\n' ' ')"
assert_eq "ha-status active node" "${ADDR[$A]}" \
    "$(jq -r '.data.nodes[] | select(.active_node) | .api_address' "$TMP/ha.body" 2>/dev/null)"
NOW=$(date +%s)
for e in $(jq -r '.data.nodes[] | select(.active_node == false) | .last_echo' "$TMP/ha.body" 2>/dev/null); do
    t=$(date -d "$e" +%s 2>/dev/null || echo 0)
    if [ $((NOW - t)) -le 15 ] && [ $((t - NOW)) -le 2 ]; then ok
    else fail "ha-status last_echo $e is not within the last 15 s"; fi
done
fetch ha2 "$S2" GET sys/ha-status
assert_eq "ha-status through a standby" "200 3" "$STATUS $(jq '.data.nodes | length' <<<"$BODY" 2>/dev/null)"
VAULT_ADDR=${ADDR[$S1]} VAULT_TOKEN=$TOKEN cf operator members
assert_eq "members exit (stderr: ${ERR:0:300})" 0 "$RC"
matches "members: active row" "${ADDR[$A]} +https://127\.0\.0\.1:$((PORT[A] + 1)) +true " "$OUT"
for s in "$S1" "$S2"; do
    matches "members: standby $s row" "${ADDR[$s]} +https://127\.0\.0\.1:$((PORT[s] + 1)) +false " "$OUT"
done

# --- kill -9 the active node while the standbys carry traffic
# chaos_worker C: writes and reads through the standbys until $TMP/stop;
# one line per answer: "ok", "ack KEY VALUE", "307 LOCATION", "5xx CODE",
# or "BAD ...".
chaos_worker() {
    local c=$1 j=0 s code body val loc
    while [ ! -e "$TMP/stop" ]; do
        j=$((j + 1))
        if (( (c + j) % 2 )); then s=$S1; else s=$S2; fi
        val="k$c-$j-$RANDOM"
        code=$(curl -s --max-time $((SESSION + 10)) -o "$TMP/k$c.b" -D "$TMP/k$c.h" -w '%{http_code}' \
            -H "X-Vault-Token: $TOKEN" --data "{\"data\":{\"v\":\"$val\"}}" \
            "${ADDR[$s]}/v1/secret/data/chaos/$c-$j") || code=000
        body=$(<"$TMP/k$c.b")
        case $code in
        200) if [[ $body == *'"version":1'* ]]; then echo "ack chaos/$c-$j $val"
             else echo "BAD write via $s: 200 ${body:0:200}"; fi ;;
        307) loc=$(tr -d '\r' <"$TMP/k$c.h" | sed -n 's/^[Ll]ocation: //p')
             echo "307 $loc" ;;
        5??) echo "5xx $code" ;;
        *) echo "BAD write via $s: $code ${body:0:200}" ;;
        esac
        code=$(curl -s --max-time $((SESSION + 10)) -o "$TMP/k$c.b" -D "$TMP/k$c.h" -w '%{http_code}' \
            -H "X-Vault-Token: $TOKEN" "${ADDR[$s]}/v1/secret/data/fixed") || code=000
        body=$(<"$TMP/k$c.b")
        case $code in
        200) if [[ $body == *'"data":{"v":"fixed-value"}'* ]]; then echo ok
             else echo "BAD read via $s: 200 ${body:0:200}"; fi ;;
        307) loc=$(tr -d '\r' <"$TMP/k$c.h" | sed -n 's/^[Ll]ocation: //p')
             echo "307 $loc" ;;
        5??) echo "5xx $code" ;;
        *) echo "BAD read via $s: $code ${body:0:200}" ;;
        esac
    done
}
rm -f "$TMP/stop"
CPIDS=()
for c in $(seq 16); do
    chaos_worker "$c" >"$TMP/chaos$c.log" 2>&1 &
    CPIDS+=("$!")
    PIDS+=("$!")
done
sleep 2
OLD=$A
T0=$(now_ms)
kill -9 "${PID[$OLD]}"
wait "${PID[$OLD]}" 2>/dev/null || true
# The survivor that stays standby must forward to the new active node
# within session timeout + 3 s.
SURV="" NEWA="" TFWD=""
LIMIT=$(( (SESSION + 3) * 1000 ))
while [ $(($(now_ms) - T0)) -lt $((LIMIT + 10000)) ]; do
    if [ -z "$NEWA" ]; then
        NEWA=$(active_of "$S1" "$S2")
        [ "$NEWA" = many ] && NEWA=""
        if [ -n "$NEWA" ]; then
            if [ "$NEWA" = "$S1" ]; then SURV=$S2; else SURV=$S1; fi
        fi
    fi
    if [ -n "$SURV" ]; then
        # Timed from the start of the request that succeeds, so that a slow
        # client on a loaded machine does not count against the server.
        ts=$(now_ms)
        c=$(curl -s --max-time 2 -o "$TMP/sv.b" -w '%{http_code}' -H "X-Vault-Token: $TOKEN" \
            "${ADDR[$SURV]}/v1/secret/data/fixed") || c=000
        if [ "$c" = 200 ] && grep -q '"data":{"v":"fixed-value"}' "$TMP/sv.b"; then
            TFWD=$((ts - T0))
            break
        fi
    fi
    sleep 0.05
done
[ -z "$SURV" ] || assert_eq "the survivor $SURV is a standby" 429 "$(health "$SURV")"
if [ -n "$TFWD" ]; then
    echo "after kill -9: node $NEWA active; standby $SURV forwards to it $(ms_to_s "$TFWD") s after the kill"
    if [ "$TFWD" -le "$LIMIT" ]; then ok
    else fail "standby forwarded again only $(ms_to_s "$TFWD") s after the kill (limit $(ms_to_s $LIMIT) s)"; fi
else
    fail "no standby forwarding to a new active node within $(ms_to_s $((LIMIT + 10000))) s (active: ${NEWA:-none})"
fi
sleep 2                         # traffic on the settled cluster too
touch "$TMP/stop"
for p in "${CPIDS[@]}"; do wait "$p" 2>/dev/null || true; done
cat "$TMP"/chaos*.log >"$TMP/chaos.all"
printf 'under kill -9: %d answers: %d right reads, %d acknowledged writes, %d 307, %d 5xx, %d wrong\n' \
    "$(wc -l <"$TMP/chaos.all")" "$(grep -c '^ok$' "$TMP/chaos.all")" \
    "$(grep -c '^ack ' "$TMP/chaos.all")" "$(grep -c '^307 ' "$TMP/chaos.all")" \
    "$(grep -c '^5xx ' "$TMP/chaos.all")" "$(grep -c '^BAD' "$TMP/chaos.all")"
assert_eq "wrong answers under kill -9" "" "$(grep '^BAD' "$TMP/chaos.all" | head -5 || true)"
BADLOC=$(sed -n 's/^307 //p' "$TMP/chaos.all" | sort -u | while read -r loc; do
    okloc=0
    for i in $(seq $N); do [[ $loc == "${ADDR[$i]}/v1/secret/data/"* ]] && okloc=1; done
    [ $okloc = 1 ] || echo "$loc"
done)
assert_eq "307s point at a node's api_addr" "" "$BADLOC"
if [ "$(grep -c '^ok$' "$TMP/chaos.all")" -gt 0 ]; then ok; else fail "no right read at all under kill -9"; fi
NEWA=${NEWA:-$S1}
MISSING=""
while read -r _ key val; do
    c=$(curl -s --max-time 5 -o "$TMP/m.b" -w '%{http_code}' -H "X-Vault-Token: $TOKEN" \
        "${ADDR[$NEWA]}/v1/secret/data/$key") || c=000
    grep -q "\"data\":{\"v\":\"$val\"}" "$TMP/m.b" || MISSING="$MISSING $key:$c"
done < <(grep '^ack ' "$TMP/chaos.all")
assert_eq "acknowledged writes after failover (missing)" "" "$MISSING"
if [ -n "$SURV" ]; then
    fetch w "$SURV" POST secret/data/after --data '{"data":{"v":"after-failover"}}'
    assert_eq "write through the surviving standby" 200 "$STATUS"
    fetch r "$NEWA" GET secret/data/after
    assert_eq "it landed on the new active node" after-failover "$(jq -r .data.data.v <<<"$BODY")"
    if (exec 3<>"/dev/tcp/127.0.0.1/$((PORT[NEWA] + 1))") 2>/dev/null; then ok
    else fail "cluster port of the new active node $NEWA is not open"; fi

    # --- step-down asked of the standby (forwarded): the cluster port
    # moves with the lock, and the old active node forwards to the new one.
    fetch sd "$SURV" PUT sys/step-down
    assert_eq "step-down through a standby" 204 "$STATUS"
    if wait_active 10 "$SURV"; then ok; else fail "standby $SURV not active within 10 s of step-down"; fi
    CLOSED=0
    for _ in $(seq 30); do
        (exec 3<>"/dev/tcp/127.0.0.1/$((PORT[NEWA] + 1))") 2>/dev/null || { CLOSED=1; break; }
        sleep 0.1
    done
    assert_eq "cluster port closed after step-down" 1 "$CLOSED"
    T0=$(now_ms) TFWD=""
    while [ $(($(now_ms) - T0)) -lt 10000 ]; do
        c=$(curl -s --max-time 2 -o "$TMP/sv.b" -w '%{http_code}' -H "X-Vault-Token: $TOKEN" \
            "${ADDR[$NEWA]}/v1/secret/data/after") || c=000
        if [ "$c" = 200 ] && grep -q '"data":{"v":"after-failover"}' "$TMP/sv.b"; then
            TFWD=$(($(now_ms) - T0)); break
        fi
        sleep 0.1
    done
    if [ -n "$TFWD" ]; then
        echo "after step-down: node $NEWA forwards to node $SURV after $(ms_to_s "$TFWD") s"
        ok
    else fail "node $NEWA does not forward to $SURV within 10 s of the step-down (last: $c $(head -c 200 "$TMP/sv.b"))"; fi
fi

# --- every node stops cleanly on SIGTERM; no sanitizer report in any log
LIVE=()
for i in $(seq $N); do [ "$i" = "$OLD" ] || LIVE+=("$i"); done
stop_nodes "${LIVE[@]}"

[ "$FAILS" -eq 0 ] || echo "logs kept in $TMP (KEEP_TMP=1 to keep them on success)" >&2
# shellcheck disable=SC2034  # read by lib.sh's cleanup trap
[ "$FAILS" -eq 0 ] || KEEP_TMP=1
finish
