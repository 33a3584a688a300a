#!/usr/bin/env bash
# High availability over a real ZooKeeper: three coffer nodes on loopback
# elect one active node; health codes, sys/leader, 307 redirects, failover
# after kill -9, rejoin, step-down, fencing of a paused active node, and
# recovery when ZooKeeper is down at start or restarted under the cluster.
# Needs $COFFER_BIN (lib.sh defaults it to ./coffer) and Java + ZooKeeper's
# jars (zk.sh); skipped (exit 77) without them.
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

SESSION=2                       # session_timeout, seconds
FAILOVER_MAX=$((SESSION + 2))   # what a kill -9 may cost, seconds
N=3
. "$(dirname "$0")/cluster.sh"

zk_start ZK

# A second ZooKeeper, stopped at once: node 4 starts against it to show
# that a node waits for ZooKeeper and comes up once it is there.
zk_start ZK2
zk_stop ZK2

for i in $(seq $N) 4; do
    PORT[i]=$(free_port)
    ADDR[i]="http://127.0.0.1:${PORT[$i]}"
done
for i in $(seq $N); do
    write_cfg "$i" "$ZK_ADDR" "$ZPATH"
    start_node "$i"
done
write_cfg 4 "$ZK2_ADDR" "coffer-late-$$/"
start_node 4
for i in $(seq $N); do wait_node "$i"; done

# --- banner, uninitialized cluster
for i in $(seq $N); do
    if grep -q "Storage: zookeeper (HA available)" "$TMP/n$i.out"; then ok
    else fail "node $i storage line: $(grep -i storage "$TMP/n$i.out" | head -3)"; fi
done
assert_eq "health uninitialized" 501 "$(health 1)"
assert_eq "health uninitialized HEAD" 501 "$(code "${ADDR[1]}/v1/sys/health" -I)"
assert_eq "health uninitcode" 299 "$(health 1 '?uninitcode=299')"
# Vault answers sys/leader on a sealed HA node with an error naming the
# seal (500 there); its CLI keys on the text, so the text is what counts.
req GET "${ADDR[1]}/v1/sys/leader"
matches "sys/leader uninitialized status" '^50[03]$' "$STATUS"
assert_contains "sys/leader uninitialized text" "Vault is sealed" "$BODY"

# --- init on node 1 (one share: this is a test), unseal 1 and 2
req PUT "${ADDR[1]}/v1/sys/init" '{"secret_shares":1,"secret_threshold":1}'
assert_eq "init" 200 "$STATUS"
UNSEAL_KEY=$(jq -r '.keys_base64[0]' <<<"$BODY")
TOKEN=$(jq -r .root_token <<<"$BODY")
[ -n "$UNSEAL_KEY" ] && [ "$UNSEAL_KEY" != null ] || { echo "init failed: $BODY" >&2; exit 1; }
unseal 1
unseal 2

# --- sealed node 3: 503 everywhere but the unauthenticated sys paths
assert_eq "health sealed" 503 "$(health 3)"
assert_eq "health sealed HEAD" 503 "$(code "${ADDR[3]}/v1/sys/health" -I)"
assert_eq "health sealedcode" 298 "$(health 3 '?sealedcode=298')"
req GET "${ADDR[3]}/v1/secret/data/app"
assert_eq "kv read on a sealed node" 503 "$STATUS"
assert_contains "sealed error text" "Vault is sealed" "$BODY"
assert_eq "seal-status on a sealed node" 200 "$(code "${ADDR[3]}/v1/sys/seal-status")"
req GET "${ADDR[3]}/v1/sys/leader"
assert_contains "sys/leader on a sealed node" "Vault is sealed" "$BODY"
VAULT_ADDR=${ADDR[3]} cf status
assert_eq "status sealed exit" 2 "$RC"
matches "status sealed HA Enabled" '^HA Enabled +true$' "$OUT"
unseal 3

# --- election: exactly one active, sys/leader agrees everywhere
if wait_active 15 1 2 3; then ok; else fail "no single active node within 15 s"; fi
A=$ACTIVE
STANDBYS=()
for i in $(seq $N); do [ "$i" = "$A" ] || STANDBYS+=("$i"); done
S1=${STANDBYS[0]} S2=${STANDBYS[1]}
# Standbys may need a moment to read the advertisement.
wait_leader_known "$A" $(seq $N) || true
for i in $(seq $N); do
    req GET "${ADDR[$i]}/v1/sys/leader"
    assert_eq "leader $i status" 200 "$STATUS"
    assert_eq "leader $i ha_enabled" true "$(jq -r .ha_enabled <<<"$BODY")"
    assert_eq "leader $i leader_address" "${ADDR[$A]}" "$(jq -r .leader_address <<<"$BODY")"
    assert_eq "leader $i leader_cluster_address" "https://127.0.0.1:$((PORT[A] + 1))" \
        "$(jq -r .leader_cluster_address <<<"$BODY")"
    if [ "$i" = "$A" ]; then
        assert_eq "leader $i is_self" true "$(jq -r .is_self <<<"$BODY")"
        matches "active_time set" '^20[0-9]{2}-' "$(jq -r .active_time <<<"$BODY")"
    else
        assert_eq "leader $i is_self" false "$(jq -r .is_self <<<"$BODY")"
    fi
done

# --- health codes
assert_eq "health active" 200 "$(health "$A")"
assert_eq "health standby" 429 "$(health "$S1")"
assert_eq "health standby 2" 429 "$(health "$S2")"
assert_eq "health standbyok" 200 "$(health "$S1" '?standbyok=true')"
assert_eq "health standbycode" 299 "$(health "$S1" '?standbycode=299')"
assert_eq "health activecode" 201 "$(health "$A" '?activecode=201')"
assert_eq "health perfstandbyok on a standby" 429 "$(health "$S1" '?perfstandbyok=true')"
assert_eq "health HEAD active" 200 "$(code "${ADDR[$A]}/v1/sys/health" -I)"
assert_eq "health HEAD standby" 429 "$(code "${ADDR[$S1]}/v1/sys/health" -I)"
assert_eq "health bad code" 400 "$(health "$S1" '?standbycode=abc')"
req GET "${ADDR[$S1]}/v1/sys/health"
assert_eq "health standby body standby" true "$(jq -r .standby <<<"$BODY")"
assert_eq "health standby body sealed" false "$(jq -r .sealed <<<"$BODY")"
curl -s -I --max-time 3 -o /dev/null -w '%{size_download}' "${ADDR[$S1]}/v1/sys/health" >"$TMP/headsize" || true
assert_eq "health HEAD has no body" 0 "$(cat "$TMP/headsize")"

# --- the CLI against the cluster
export VAULT_TOKEN=$TOKEN
VAULT_ADDR=${ADDR[$A]} cf status
assert_eq "status active exit" 0 "$RC"
matches "status active HA Enabled" '^HA Enabled +true$' "$OUT"
matches "status active HA Mode" '^HA Mode +active$' "$OUT"
matches "status active HA Cluster" "^HA Cluster +https://127\.0\.0\.1:$((PORT[A] + 1))\$" "$OUT"
matches "status active since" '^Active Since +20[0-9]{2}-' "$OUT"
VAULT_ADDR=${ADDR[$S1]} cf status
matches "status standby HA Mode" '^HA Mode +standby$' "$OUT"
matches "status standby active address" "^Active Node Address +${ADDR[$A]}\$" "$OUT"
VAULT_ADDR=${ADDR[$S1]} cf operator members
assert_eq "members exit (stderr: ${ERR:0:300})" 0 "$RC"
matches "members header" '^Host Name +API Address +Cluster Address +Active Node +Version' "$OUT"
matches "members active row" "${ADDR[$A]} +https://127\.0\.0\.1:$((PORT[A] + 1)) +true " "$OUT"

# --- data, and redirects from a standby
req POST "${ADDR[$A]}/v1/sys/mounts/secret" '{"type":"kv","options":{"version":"2"}}'
assert_eq "mount kv v2" 204 "$STATUS"
ACKED=0
for k in $(seq 20); do
    req POST "${ADDR[$A]}/v1/secret/data/k$k" "{\"data\":{\"v\":\"$k\"}}"
    [ "$STATUS" = 200 ] && ACKED=$k
done
assert_eq "writes acknowledged" 20 "$ACKED"

# A standby forwards (test/integration/forwarding.sh); the header asks for
# the redirect instead.
NOFWD=(-H "X-Vault-No-Request-Forwarding: 1")
req GET "${ADDR[$S1]}/v1/secret/data/k1?version=1&x=a%2Fb" "" "${NOFWD[@]}"
assert_eq "standby redirect status" 307 "$STATUS"
LOC=$(tr -d '\r' <<<"$HEADERS" | sed -n 's/^[Ll]ocation: //p')
assert_eq "redirect Location" "${ADDR[$A]}/v1/secret/data/k1?version=1&x=a%2Fb" "$LOC"
req PUT "${ADDR[$S2]}/v1/secret/data/k2" '{"data":{"v":"x"}}' "${NOFWD[@]}"
assert_eq "write to a standby is redirected" 307 "$STATUS"
LOC=$(tr -d '\r' <<<"$HEADERS" | sed -n 's/^[Ll]ocation: //p')
assert_eq "write redirect Location" "${ADDR[$A]}/v1/secret/data/k2" "$LOC"
req GET "${ADDR[$S1]}/v1/sys/seal-status"
assert_eq "seal-status served by a standby" 200 "$STATUS"
req GET "${ADDR[$S1]}/v1/sys/leader"
assert_eq "sys/leader served by a standby" 200 "$STATUS"
# curl -L keeps POST and its body across a 307 (no --post301/302 needed).
STATUS=$(curl -s -L -o "$TMP/body" -w '%{http_code}' -H "X-Vault-Token: $TOKEN" "${NOFWD[@]}" \
    --data '{"data":{"v":"via-standby"}}' "${ADDR[$S1]}/v1/secret/data/through") || STATUS=000
assert_eq "write through a standby with -L" 200 "$STATUS"
req GET "${ADDR[$A]}/v1/secret/data/through"
assert_eq "write through a standby landed" via-standby "$(jq -r .data.data.v <<<"$BODY")"

# --- node 4 has been waiting for ZooKeeper all along
if kill -0 "${PID[4]}" 2>/dev/null; then ok; else fail "node 4 exited while ZooKeeper was down: $(tail -5 "$TMP/n4.err")"; fi
# Its first attempt ends after the 2 s connect timeout: on a fast run the
# steps above take less, so wait for the line rather than race it.
n4_said() {
    grep -Eqi 'zookeeper' "$TMP/n4.err" "$TMP/n4.out" &&
        grep -Eqi 'retry|retrying|unavailable|connect' "$TMP/n4.err" "$TMP/n4.out"
}
for _ in $(seq 100); do n4_said && break; sleep 0.1; done
if n4_said; then ok
else fail "node 4 gave no clear ZooKeeper error: $(tail -5 "$TMP/n4.err")"; fi
_zk_launch ZK2
T4=$SECONDS

# --- failover: kill -9 the active node
OLD=$A
T0=$(now_ms)
kill -9 "${PID[$OLD]}"
wait "${PID[$OLD]}" 2>/dev/null || true
if wait_active 20 "$S1" "$S2"; then
    T1=$(now_ms)
    FO=$((T1 - T0))
    echo "failover after kill -9: $(ms_to_s $FO) s"
    if [ $FO -le $((FAILOVER_MAX * 1000)) ]; then ok
    else fail "failover took $(ms_to_s $FO) s (limit ${FAILOVER_MAX} s)"; fi
else
    fail "no new active node within 20 s of kill -9"
fi
A=${ACTIVE:-$S1}
MISSING=""
for k in $(seq "$ACKED"); do
    req GET "${ADDR[$A]}/v1/secret/data/k$k"
    v=$(jq -r .data.data.v <<<"$BODY" 2>/dev/null || true)
    [ "$v" = "$k" ] || MISSING="$MISSING k$k:$STATUS:${BODY:0:120}"
done
assert_eq "acknowledged writes after failover (missing)" "" "$MISSING"
req POST "${ADDR[$A]}/v1/secret/data/after" '{"data":{"v":"1"}}'
assert_eq "write on the new active" 200 "$STATUS"

# The killed node comes back, is unsealed and rejoins as a standby.
start_node "$OLD"
wait_node "$OLD"
unseal "$OLD"
for _ in $(seq 100); do
    [ "$(curl -s --max-time 2 "${ADDR[$OLD]}/v1/sys/leader" | jq -r .leader_address 2>/dev/null)" = "${ADDR[$A]}" ] && break
    sleep 0.1
done
assert_eq "rejoined node health" 429 "$(health "$OLD")"
req GET "${ADDR[$OLD]}/v1/sys/leader"
assert_eq "rejoined node knows the active" "${ADDR[$A]}" "$(jq -r .leader_address <<<"$BODY")"
assert_eq "rejoined node is_self" false "$(jq -r .is_self <<<"$BODY")"
assert_eq "still the same active" 200 "$(health "$A")"

# --- step-down, asked of a standby through the CLI (redirected)
for i in $(seq $N); do [ "$i" = "$A" ] || SB=$i; done
VAULT_ADDR=${ADDR[$SB]} cf operator step-down
assert_eq "step-down exit (stderr: ${ERR:0:300})" 0 "$RC"
assert_contains "step-down message" "Success! Stepped down: ${ADDR[$SB]}" "$OUT"
OLD=$A
T0=$(now_ms)
OTHERS=()
for i in $(seq $N); do [ "$i" = "$OLD" ] || OTHERS+=("$i"); done
if wait_active 10 "${OTHERS[@]}"; then
    echo "failover after step-down: $(ms_to_s $(($(now_ms) - T0))) s"
    ok
else
    fail "no other node active within 10 s of step-down (old active health: $(health "$OLD"))"
fi
A=${ACTIVE:-$A}
WON_BACK=0
END=$((SECONDS + 5))
while [ $SECONDS -lt $END ]; do
    [ "$(health "$OLD")" = 200 ] && WON_BACK=1
    sleep 0.2
done
assert_eq "old active did not win back within 5 s" 0 "$WON_BACK"
assert_eq "new active still active" 200 "$(health "$A")"

# --- fencing: pause the active past its session, resume it
OLD=$A
OTHERS=()
for i in $(seq $N); do [ "$i" = "$OLD" ] || OTHERS+=("$i"); done
kill -STOP "${PID[$OLD]}"
# A write sent while it is paused waits in its socket; it must not be
# applied by the paused node once it runs again.
# (Not forwarded: once a standby, it would rightly forward the write.)
curl -s -o "$TMP/fence.body" -w '%{http_code}' --max-time 30 -H "X-Vault-Token: $TOKEN" "${NOFWD[@]}" \
    --data '{"data":{"v":"from-paused-node"}}' "${ADDR[$OLD]}/v1/secret/data/fenced" \
    >"$TMP/fence.code" 2>/dev/null &
FENCE_CURL=$!
if wait_active $((SESSION + 10)) "${OTHERS[@]}"; then ok
else fail "no other node took over while the active was paused"; fi
NEW=${ACTIVE:-${OTHERS[0]}}
sleep 1
kill -CONT "${PID[$OLD]}"
# It must answer as a standby (307, 503) or, while its new session has not
# yet found the new active node, with Vault's "no active node" 500; never
# serve the read itself.
BAD=""
NOLEADER=0
END=$((SECONDS + 5))
while [ $SECONDS -lt $END ]; do
    req GET "${ADDR[$OLD]}/v1/secret/data/k1" "" "${NOFWD[@]}"
    case $STATUS in
    307|429|503) ;;
    500) if [[ $BODY == *"active cluster node not found"* ]]; then NOLEADER=$((NOLEADER + 1))
         else BAD="$BAD kv:$STATUS:${BODY:0:100}"; fi ;;
    *) BAD="$BAD kv:$STATUS:${BODY:0:100}" ;;
    esac
    h=$(health "$OLD")
    case $h in 429|503) ;; *) BAD="$BAD health:$h" ;; esac
done
assert_eq "paused node served nothing as active after resuming" "" "$BAD"
[ $NOLEADER = 0 ] || echo "note: resumed node answered $NOLEADER reads with 500 (no active node known yet)"
wait "$FENCE_CURL" 2>/dev/null || true
FC=$(cat "$TMP/fence.code" 2>/dev/null || echo 000)
case $FC in 2*) fail "write queued at the paused node got $FC: $(cat "$TMP/fence.body")" ;; *) ok ;; esac
req GET "${ADDR[$NEW]}/v1/secret/data/fenced"
if [ "$(jq -r '.data.data.v // empty' <<<"$BODY" 2>/dev/null)" = from-paused-node ]; then
    fail "the paused node's write reached storage"
else ok; fi
assert_eq "new active after fencing" 200 "$(health "$NEW")"
A=$NEW

# --- node 4 came up once ZooKeeper started
UP4=0
DEADLINE=$((T4 + 20))
[ $DEADLINE -ge $((SECONDS + 2)) ] || DEADLINE=$((SECONDS + 2))
while [ $SECONDS -lt $DEADLINE ]; do
    [ "$(health 4)" = 501 ] && { UP4=1; break; }
    sleep 0.2
done
assert_eq "node 4 reached ZooKeeper without operator action (health 501)" 1 "$UP4"
req PUT "${ADDR[4]}/v1/sys/init" '{"secret_shares":1,"secret_threshold":1}'
assert_eq "node 4 init" 200 "$STATUS"
K4=$(jq -r '.keys_base64[0]' <<<"$BODY")
req PUT "${ADDR[4]}/v1/sys/unseal" "{\"key\":\"$K4\"}"
assert_eq "node 4 unseal" 200 "$STATUS"
if wait_active 15 4; then ok; else fail "node 4 not active after unseal: $(health 4)"; fi

# --- ZooKeeper restarted under the running cluster: whatever the nodes
# make of the gap (sessions kept or expired), within 15 s one node must be
# active and take a write, with no operator action.
T0=$(now_ms)
zk_restart ZK
# The old active may still answer 200 until its session times out; only
# a write that lands, after that window, shows the cluster recovered.
sleep $((SESSION + 1))
RECOVERED=""
while [ $(($(now_ms) - T0)) -lt 15000 ]; do
    if wait_active 1 1 2 3; then
        c=$(code "${ADDR[$ACTIVE]}/v1/secret/data/after-zk-restart" -H "X-Vault-Token: $TOKEN" \
            --data '{"data":{"v":"ok"}}')
        [ "$c" = 200 ] && { RECOVERED=$ACTIVE; break; }
    fi
    sleep 0.2
done
if [ -n "$RECOVERED" ]; then
    echo "write accepted $(ms_to_s $(($(now_ms) - T0))) s after ZooKeeper was restarted"
    ok
else
    fail "no active node taking writes within 15 s of the ZooKeeper restart (health: $(health 1) $(health 2) $(health 3))"
fi
if [ -n "$RECOVERED" ]; then
    req GET "${ADDR[$RECOVERED]}/v1/secret/data/k20"
    assert_eq "data after the ZooKeeper restart" 20 "$(jq -r .data.data.v <<<"$BODY")"
    assert_eq "single active after the ZooKeeper restart" "$RECOVERED" "$(active_of 1 2 3)"
fi
for i in $(seq $N); do
    if kill -0 "${PID[$i]}" 2>/dev/null; then ok; else fail "node $i died: $(tail -5 "$TMP/n$i.err")"; fi
done

# --- every node stops cleanly on SIGTERM; no sanitizer report in any log
stop_nodes $(seq $N) 4

[ "$FAILS" -eq 0 ] || echo "logs kept in $TMP (KEEP_TMP=1 to keep them on success)" >&2
# shellcheck disable=SC2034  # read by lib.sh's cleanup trap
[ "$FAILS" -eq 0 ] || KEEP_TMP=1
finish
