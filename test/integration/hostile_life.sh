#!/usr/bin/env bash
# Lifecycle races (issue #9): sys/seal asked of a standby gets Vault's
# error and is never forwarded (it used to deadlock the active node); a
# step-down through a standby is answered before it runs; sealing the
# active node from a listener hands over; SIGTERM ends a sealed node, a
# standby, an active node and a node whose ZooKeeper is paused, each
# within 10 s. After each hostile request a canary secret is read through
# every node still meant to serve. Memory hygiene: a node locks its memory
# and has core dumps off; without the right to lock memory it refuses to
# start with Vault's message. Dev mode writes ~/.vault-token mode 0600,
# never through a symlink.
# Needs $COFFER_BIN, Java + ZooKeeper's jars (zk.sh) and jq; skipped
# (exit 77) without them.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/zk.sh"

exec </dev/null
export HOME="$TMP/home"
mkdir -p "$HOME"
unset VAULT_TOKEN VAULT_ADDR VAULT_FORMAT || true

if ! command -v java >/dev/null || [ ! -r "${ZK_JARS%%:*}" ]; then
    echo "SKIP: java or ZooKeeper jars ($ZK_JARS) not installed"
    exit 77
fi
command -v jq >/dev/null || { echo "SKIP: jq not installed"; exit 77; }

# --- memory hygiene, on one node (as root: mlock needs CAP_IPC_LOCK or a
# large RLIMIT_MEMLOCK, and taking the capability away needs root)
# Not under AddressSanitizer: its terabytes of reserved shadow mappings make
# mlockall meaningless there (it locks nothing, or stalls the process).
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null &&
   ! ldd "$COFFER_BIN" 2>/dev/null | grep -q libasan; then
    MPORT=$(free_port)
    cat >"$TMP/mlock.hcl" <<HCL
storage "inmem" {}
listener "tcp" { address = "127.0.0.1:$MPORT"  tls_disable = true }
HCL
    start_cfg mlock "$TMP/mlock.hcl"
    wait_up "http://127.0.0.1:$MPORT" mlock || exit 1
    LCK=$(awk '/^VmLck:/ {print $2}' "/proc/$PID_mlock/status")
    if [ "${LCK:-0}" -gt 0 ]; then ok; else fail "mlock: VmLck is ${LCK:-?} kB, want > 0"; fi
    assert_eq "core dumps off" "0 0" \
        "$(awk '/^Max core file size/ {print $5, $6}' "/proc/$PID_mlock/limits")"
    req GET "http://127.0.0.1:$MPORT/v1/sys/seal-status"
    assert_eq "mlocked node serves" 200 "$STATUS"
    kill -TERM "$PID_mlock"
    wait "$PID_mlock" 2>/dev/null || true
    rc=0
    setpriv --bounding-set=-ipc_lock --inh-caps=-ipc_lock -- bash -c \
        'ulimit -l 64 && exec "$0" server -config="$1"' "$COFFER_BIN" "$TMP/mlock.hcl" \
        >"$TMP/nolock.out" 2>"$TMP/nolock.err" </dev/null || rc=$?
    assert_eq "no mlock: exit status" 1 "$rc"
    assert_contains "no mlock: Vault's message" \
        "Error initializing core: Failed to lock memory: cannot allocate memory" "$(cat "$TMP/nolock.err")"
    assert_contains "no mlock: the way out" "set the \`disable_mlock\` configuration option" \
        "$(cat "$TMP/nolock.err")"
    if grep -q "server started" "$TMP/nolock.out"; then fail "no mlock: listener opened"; else ok; fi
    echo 'disable_mlock = true' >>"$TMP/mlock.hcl"
    start_cfg nolock2 "$TMP/mlock.hcl"
    wait_up "http://127.0.0.1:$MPORT" nolock2 || exit 1
    assert_eq "disable_mlock: nothing locked" 0 \
        "$(awk '/^VmLck:/ {print $2}' "/proc/$PID_nolock2/status")"
    kill -TERM "$PID_nolock2"
    wait "$PID_nolock2" 2>/dev/null || true
else
    echo "memory hygiene cases skipped: not root, no setpriv, or an ASan build"
fi

# --- ~/.vault-token: through a symlink never; a wider file becomes 0600
# dev_token NAME: a dev server with HOME=$TMP/NAME, until it answers.
dev_token() {
    local port
    port=$(free_port)
    HOME="$TMP/$1" "$COFFER_BIN" server -dev -dev-listen-address="127.0.0.1:$port" \
        >"$TMP/$1.out" 2>"$TMP/$1.err" &
    PIDS+=($!)
    printf -v "PID_$1" '%s' "$!"
    wait_up "http://127.0.0.1:$port" "$1" || exit 1
    req GET "http://127.0.0.1:$port/v1/sys/health"
    assert_eq "$1: dev server serves" 200 "$STATUS"
    local pv="PID_$1"
    kill -TERM "${!pv}"
    wait "${!pv}" 2>/dev/null || true
}
mkdir -p "$TMP/tok_link" "$TMP/tok_wide"
echo "not the root token" >"$TMP/victim"
ln -s "$TMP/victim" "$TMP/tok_link/.vault-token"
dev_token tok_link
assert_eq "token through a symlink: target untouched" "not the root token" "$(cat "$TMP/victim")"
assert_contains "token through a symlink: warned" "could not write $TMP/tok_link/.vault-token" \
    "$(cat "$TMP/tok_link.err")"
echo old >"$TMP/tok_wide/.vault-token"
chmod 0644 "$TMP/tok_wide/.vault-token"
dev_token tok_wide
assert_eq "token file mode" 600 "$(stat -c %a "$TMP/tok_wide/.vault-token")"
if [ "$(wc -c <"$TMP/tok_wide/.vault-token")" -gt 10 ] &&
   ! grep -q old "$TMP/tok_wide/.vault-token"; then ok
else fail "token file not rewritten: [$(head -c 60 "$TMP/tok_wide/.vault-token")]"; fi

N=3
. "$(dirname "$0")/cluster.sh"

# canary WHAT NODES...: the canary reads back through each node.
canary() {
    local what=$1
    shift
    for i in "$@"; do
        req GET "${ADDR[$i]}/v1/secret/data/canary" '' --max-time 10
        assert_eq "$what: canary through node $i" "200 alive" \
            "$STATUS $(jq -r .data.data.v <<<"$BODY" 2>/dev/null)"
    done
}

# term_within WHAT NODE: SIGTERM, and the node is gone within 10 s.
term_within() {
    local what=$1 i=$2 t0
    t0=$(now_ms)
    kill -TERM "${PID[$i]}"
    for _ in $(seq 100); do kill -0 "${PID[$i]}" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "${PID[$i]}" 2>/dev/null; then
        fail "$what: node $i still running 10 s after SIGTERM"
        kill -9 "${PID[$i]}" 2>/dev/null || true
    else
        ok
        echo "$what: node $i exited $(ms_to_s $(($(now_ms) - t0))) s after SIGTERM"
    fi
    wait "${PID[$i]}" 2>/dev/null || true
}

cluster_up
S1=${STANDBYS[0]} S2=${STANDBYS[1]}
echo "active node $A, standbys $S1 $S2"
req PUT "${ADDR[$A]}/v1/sys/mounts/secret" '{"type":"kv","options":{"version":"2"}}'
assert_eq "mount secret/" 204 "$STATUS"
req PUT "${ADDR[$A]}/v1/secret/data/canary" '{"data":{"v":"alive"}}'
assert_eq "write the canary" 200 "$STATUS"
canary "before" "$A" "$S1" "$S2"

# --- sys/seal asked of a standby: Vault's 500, answered by the standby
req PUT "${ADDR[$S1]}/v1/sys/seal" '' --max-time 10
assert_eq "seal on a standby: status" 500 "$STATUS"
assert_eq "seal on a standby: Vault's error" \
    "vault cannot seal when in standby mode; please restart instead" \
    "$(jq -r '.errors[0]' <<<"$BODY" 2>/dev/null)"
assert_eq "seal on a standby: the active node still active" 200 "$(health "$A")"
assert_eq "seal on a standby: the standby still unsealed" 429 "$(health "$S1")"
canary "after seal on a standby" "$A" "$S1" "$S2"

# --- step-down through a standby: forwarded, answered first, then run on
# the active node's lifecycle thread (never on the cluster worker)
req PUT "${ADDR[$S1]}/v1/sys/step-down" '' --max-time 10
assert_eq "step-down through a standby" 204 "$STATUS"
for _ in $(seq 100); do [ "$(health "$A")" = 200 ] || break; sleep 0.1; done
if wait_active 15 "$A" "$S1" "$S2"; then ok; else fail "no active node within 15 s of the step-down"; fi
A2=$ACTIVE
echo "active after step-down: node $A2"
wait_leader_known "$A2" "$A" "$S1" "$S2" || fail "standbys do not know node $A2 as active"
canary "after step-down through a standby" "$A" "$S1" "$S2"

# --- the active node sealed through its own listener: it seals, another
# node takes over
req PUT "${ADDR[$A2]}/v1/sys/seal" '' --max-time 15
assert_eq "seal the active node" 204 "$STATUS"
assert_eq "sealed node answers 503" 503 "$(health "$A2")"
REST=()
for i in "$A" "$S1" "$S2"; do [ "$i" = "$A2" ] || REST+=("$i"); done
if wait_active 15 "${REST[@]}"; then ok; else fail "no takeover within 15 s of sealing node $A2"; fi
A3=$ACTIVE
wait_leader_known "$A3" "${REST[@]}" || fail "the standby does not know node $A3 as active"
canary "after sealing the active node" "${REST[@]}"

# --- SIGTERM in every state
term_within "sealed" "$A2"
canary "after the sealed node left" "${REST[@]}"
SB=""
for i in "${REST[@]}"; do [ "$i" = "$A3" ] || SB=$i; done
zk_pause ZK
term_within "ZooKeeper paused (standby)" "$SB"
zk_resume ZK
if wait_active 15 "$A3"; then ok; else fail "node $A3 not active again within 15 s of ZooKeeper's resume"; fi
canary "after the standby left" "$A3"
term_within "active" "$A3"

if grep -l -E 'ERROR: (Address|Leak|Thread)Sanitizer|runtime error:' "$TMP"/n*.err >/dev/null 2>&1; then
    fail "sanitizer report in $(grep -l -E 'Sanitizer|runtime error:' "$TMP"/n*.err | tr '\n' ' ')"
else ok; fi
zk_stop ZK
finish
