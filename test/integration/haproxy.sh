#!/usr/bin/env bash
# HAProxy in front of three coffer nodes over a real ZooKeeper, configured
# from share/examples/haproxy.cfg (L4, checks on sys/health?standbyok=true):
# every node is in rotation, a client loop of writes and reads through
# HAProxy keeps working across a kill -9 of the active node apart from a
# bounded gap (measured and printed), and nothing acknowledged is lost.
# Needs $COFFER_BIN (lib.sh defaults it to ./coffer), haproxy, jq and Java +
# ZooKeeper's jars (zk.sh); skipped (exit 77) without them.
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
HAPROXY=${HAPROXY:-$(command -v haproxy || echo /usr/sbin/haproxy)}
[ -x "$HAPROXY" ] || { echo "SKIP: haproxy not installed (apt-get install haproxy)"; exit 77; }
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 77; }

EXAMPLE=${HAPROXY_EXAMPLE:-$(dirname "$0")/../../share/examples/haproxy.cfg}
[ -r "$EXAMPLE" ] || { echo "cannot read $EXAMPLE" >&2; exit 1; }

# ZooKeeper sessions of 4 s: on a loaded machine 2 s sessions sometimes
# drop, and the test is about the load balancer, not that.
SESSION=4
N=3
. "$(dirname "$0")/cluster.sh"
GAP_MAX=$(( (SESSION + 5) * 1000 ))   # ms a kill -9 may interrupt the client

# The example as shipped must be valid.
if "$HAPROXY" -c -q -f "$EXAMPLE" >"$TMP/hac.out" 2>&1; then ok
else fail "haproxy -c of $EXAMPLE: $(head -c 600 "$TMP/hac.out")"; fi

cluster_up
req POST "${ADDR[$A]}/v1/sys/mounts/secret" '{"type":"kv","options":{"version":"2"}}'
assert_eq "mount kv v2" 204 "$STATUS"

# The example with this run's ports, plus a stats page to watch the checks.
LBPORT=$(free_port)
STPORT=$(free_port)
sed -e "s/bind 127\.0\.0\.1:8300/bind 127.0.0.1:$LBPORT/" \
    -e "s/127\.0\.0\.1:8200 /127.0.0.1:${PORT[1]} /" \
    -e "s/127\.0\.0\.1:8210 /127.0.0.1:${PORT[2]} /" \
    -e "s/127\.0\.0\.1:8220 /127.0.0.1:${PORT[3]} /" "$EXAMPLE" >"$TMP/haproxy.cfg"
cat >>"$TMP/haproxy.cfg" <<EOF

listen stats
    mode http
    bind 127.0.0.1:$STPORT
    timeout client 5s
    stats enable
    stats uri /stats
EOF
for i in 1 2 3; do
    if grep -q "127.0.0.1:${PORT[$i]} check" "$TMP/haproxy.cfg"; then ok
    else fail "the example has no server line for 127.0.0.1:820$((i - 1)) to rewrite"; fi
done
if "$HAPROXY" -c -q -f "$TMP/haproxy.cfg" >"$TMP/hac.out" 2>&1; then ok
else fail "haproxy -c of the test config: $(head -c 600 "$TMP/hac.out")"; fi
"$HAPROXY" -db -f "$TMP/haproxy.cfg" >"$TMP/haproxy.log" 2>&1 &
HAPID=$!
PIDS+=("$HAPID")
LB="http://127.0.0.1:$LBPORT"

# srv_status NODE: UP, DOWN, ... as HAProxy's stats see that server.
srv_status() {
    curl -s --max-time 2 "http://127.0.0.1:$STPORT/stats;csv" |
        awk -F, -v s="coffer$1" '$1 == "coffer_nodes" && $2 == s { print $18 }' || true
}
# wait_status SECONDS WANT NODES...: 0 once every node shows WANT.
wait_status() {
    local deadline=$(($(now_ms) + $1 * 1000)) want=$2 all
    shift 2
    while [ "$(now_ms)" -lt $deadline ]; do
        all=1
        for i in "$@"; do [[ $(srv_status "$i") == "$want"* ]] || all=0; done
        [ $all = 1 ] && return 0
        sleep 0.2
    done
    return 1
}
if wait_status 15 UP 1 2 3; then ok
else fail "not every node UP in HAProxy (standbys pass standbyok=true checks): $(for i in 1 2 3; do printf 'coffer%s=%s ' "$i" "$(srv_status "$i")"; done)"; fi

# Requests through HAProxy reach every node (round robin) and all succeed.
req POST "$LB/v1/secret/data/lb" '{"data":{"v":"through-lb"}}'
assert_eq "write through HAProxy" 200 "$STATUS"
BADRR=""
for _ in $(seq 9); do
    req GET "$LB/v1/secret/data/lb"
    [ "$STATUS $(jq -r .data.data.v <<<"$BODY" 2>/dev/null)" = "200 through-lb" ] || BADRR="$BADRR $STATUS"
done
assert_eq "9 reads through HAProxy (round robin over all nodes)" "" "$BADRR"

# client_loop: sequential writes and reads through HAProxy until $TMP/stop;
# one line per request: "MS w|r I CODE ok|ack|bad [VALUE]".
client_loop() {
    local i=0 code body val t
    while [ ! -e "$TMP/stop" ]; do
        i=$((i + 1))
        val="v$i-$RANDOM"
        t=$(now_ms)
        code=$(curl -s --max-time 10 -o "$TMP/cl.b" -w '%{http_code}' -H "X-Vault-Token: $TOKEN" \
            --data "{\"data\":{\"v\":\"$val\"}}" "$LB/v1/secret/data/h/$i") || code=000
        body=$(<"$TMP/cl.b")
        if [ "$code" = 200 ] && [[ $body == *'"version":1'* ]]; then
            echo "$t w $i $code ack $val"
        elif [ "$code" = 200 ]; then
            echo "$t w $i $code bad ${body:0:200}"
        else
            echo "$t w $i $code fail"
            continue
        fi
        t=$(now_ms)
        code=$(curl -s --max-time 10 -o "$TMP/cl.b" -w '%{http_code}' -H "X-Vault-Token: $TOKEN" \
            "$LB/v1/secret/data/h/$i") || code=000
        body=$(<"$TMP/cl.b")
        case $code in
        200) if [[ $body == *"\"data\":{\"v\":\"$val\"}"* ]]; then echo "$t r $i $code ok"
             else echo "$t r $i $code bad ${body:0:200}"; fi ;;
        404) echo "$t r $i $code bad acknowledged write not found" ;;
        *) echo "$t r $i $code fail" ;;
        esac
    done
}
rm -f "$TMP/stop"
client_loop >"$TMP/client.log" 2>&1 &
CLPID=$!
PIDS+=("$CLPID")
sleep 4
OLD=$A
OTHERS=()
for i in $(seq $N); do [ "$i" = "$OLD" ] || OTHERS+=("$i"); done
T0=$(now_ms)
kill -9 "${PID[$OLD]}"
wait "${PID[$OLD]}" 2>/dev/null || true
if wait_active 20 "${OTHERS[@]}"; then ok; else fail "no new active node within 20 s of kill -9"; fi
NEWA=${ACTIVE:-${OTHERS[0]}}
if wait_status 10 DOWN "$OLD"; then ok; else fail "HAProxy did not mark the killed node down: $(srv_status "$OLD")"; fi
# Run on until the client has gone 4 s without a failure (at most 30 s).
while [ $(($(now_ms) - T0)) -lt 30000 ]; do
    last_fail=$(awk '$5 == "fail" || $5 == "bad" { t = $1 } END { printf "%d\n", t }' "$TMP/client.log")
    [ $(($(now_ms) - last_fail)) -ge 4000 ] && [ $(($(now_ms) - T0)) -ge 6000 ] && break
    sleep 0.5
done
touch "$TMP/stop"
wait "$CLPID" 2>/dev/null || true

# The gap: from the last success before the first failure after the kill
# to the first success after the last failure.
read -r NOPS NFAIL GAP <<<"$(awk '
    { n++ }
    $5 == "fail" { nf++; if (!ff) ff = $1; lf = $1 }
    $5 == "ok" || $5 == "ack" { s[++ns] = $1 }
    END {
        if (!ff) { printf "%d 0 0\n", n; exit }
        before = ff; after = 0
        for (k = 1; k <= ns; k++) {
            if (s[k] < ff) before = s[k]
            if (s[k] > lf && !after) after = s[k]
        }
        if (!after) after = lf + 999999    # never recovered
        printf "%d %d %d\n", n, nf, after - before
    }' "$TMP/client.log")"
NOK=$(grep -c ' ok$\| ack ' "$TMP/client.log" || true)
echo "client through HAProxy: $NOPS requests, $NOK answered right, $NFAIL failed (307/5xx/none); gap after kill -9 of node $OLD: $(ms_to_s "${GAP:-0}") s (limit $(ms_to_s $GAP_MAX) s)"
if [ "${GAP:-0}" -le $GAP_MAX ]; then ok
else fail "client gap $(ms_to_s "$GAP") s after kill -9 exceeds $(ms_to_s $GAP_MAX) s"; fi
assert_eq "wrong answers through HAProxy" "" "$(grep ' bad' "$TMP/client.log" | head -5 || true)"
LASTOK=$(tail -n 6 "$TMP/client.log" | grep -c ' ok$\| ack ' || true)
assert_eq "the client's last 6 requests succeed" 6 "$LASTOK"
if [ "$NOK" -gt 20 ]; then ok; else fail "only $NOK requests through HAProxy succeeded"; fi
MISSING=""
NACK=0
while read -r _ _ i _ _ val; do
    NACK=$((NACK + 1))
    c=$(curl -s --max-time 5 -o "$TMP/m.b" -w '%{http_code}' -H "X-Vault-Token: $TOKEN" \
        "${ADDR[$NEWA]}/v1/secret/data/h/$i") || c=000
    grep -q "\"data\":{\"v\":\"$val\"}" "$TMP/m.b" || MISSING="$MISSING h/$i:$c"
done < <(grep ' w .* ack ' "$TMP/client.log")
echo "$NACK acknowledged writes checked on the new active node $NEWA"
assert_eq "acknowledged writes lost" "" "$MISSING"

kill "$HAPID" 2>/dev/null || true
wait "$HAPID" 2>/dev/null || true
LIVE=()
for i in $(seq $N); do [ "$i" = "$OLD" ] || LIVE+=("$i"); done
stop_nodes "${LIVE[@]}"

[ "$FAILS" -eq 0 ] || echo "logs kept in $TMP (KEEP_TMP=1 to keep them on success)" >&2
# shellcheck disable=SC2034  # read by lib.sh's cleanup trap
[ "$FAILS" -eq 0 ] || KEEP_TMP=1
finish
