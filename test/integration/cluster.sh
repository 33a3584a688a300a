# A coffer cluster over a real ZooKeeper on loopback, for the HA tests:
# node configs, start/stop by PID, health probes, election waits, and
# cluster_up (ZooKeeper + N nodes initialized, unsealed, one active).
# Source after lib.sh and zk.sh.
# shellcheck shell=bash disable=SC2034  # globals the sourcing test reads

# One cluster test at a time: `make -j check` would otherwise run three
# ZooKeepers and nine nodes at once on a 2-core machine and turn timing
# checks (failover, gaps) into load tests. Held until the script exits.
exec 9>"${TMPDIR:-/tmp}/coffer-cluster-tests.lock"
flock 9

SESSION=${SESSION:-2}           # zookeeper session_timeout, seconds
ZPATH=${ZPATH:-"coffer-test-$$-$RANDOM/"}
N=${N:-3}
declare -a PORT ADDR CFG PID

# Extra HCL lines inside each node's listener block / at its top level.
CLUSTER_LISTENER_EXTRA=${CLUSTER_LISTENER_EXTRA:-}
CLUSTER_EXTRA=${CLUSTER_EXTRA:-}

# Ports below the kernel's ephemeral range (32768+ on Linux): nodes that
# (re)start bind their port long after it was picked, and a client socket
# must not take it meanwhile. Each pick reserves port and port + 1 (the
# cluster port) in a file: free_port runs in $(...) subshells.
free_port() {
    local p
    touch "$TMP/ports"
    for _ in $(seq 500); do
        p=$(( (RANDOM % 12000) + 20000 ))
        grep -qxE "$((p - 1))|$p|$((p + 1))" "$TMP/ports" && continue
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null &&
           ! (exec 3<>"/dev/tcp/127.0.0.1/$((p + 1))") 2>/dev/null; then
            printf '%s\n%s\n' "$p" "$((p + 1))" >>"$TMP/ports"
            echo "$p"; return 0
        fi
    done
    echo "no free port" >&2; return 1
}

now_ms() { date +%s%3N; }
# ms_to_s MS: "1.234"
ms_to_s() { printf '%d.%03d' $(($1 / 1000)) $(($1 % 1000)); }

# write_cfg I ZKADDR PATH: the config of node I (api port PORT[I], cluster
# port PORT[I] + 1).
write_cfg() {
    local i=$1 p=${PORT[$1]}
    CFG[i]="$TMP/n$i.hcl"
    cat >"${CFG[$i]}" <<EOF
storage "zookeeper" {
  address = "$2"
  path = "$3"
  session_timeout = "${SESSION}s"
}
listener "tcp" {
  address = "127.0.0.1:$p"
  tls_disable = true
$CLUSTER_LISTENER_EXTRA
}
api_addr = "http://127.0.0.1:$p"
cluster_addr = "https://127.0.0.1:$((p + 1))"
disable_mlock = true
$CLUSTER_EXTRA
EOF
}

# start_node I: starts node I in the background (logs appended, so a
# restarted node keeps its history); PID[I].
start_node() {
    local i=$1
    "$COFFER_BIN" server -config="${CFG[$i]}" >>"$TMP/n$i.out" 2>>"$TMP/n$i.err" &
    PID[i]=$!
    PIDS+=("$!")
}

# wait_node I: until node I answers HTTP (its stderr shown if it died).
wait_node() {
    local i=$1 deadline=$((SECONDS + 30))
    while [ $SECONDS -lt $deadline ]; do
        curl -s -o /dev/null --max-time 1 "${ADDR[$i]}/v1/sys/seal-status" && return 0
        if ! kill -0 "${PID[$i]}" 2>/dev/null; then
            echo "node $i exited; its stderr:" >&2
            tail -n 30 "$TMP/n$i.err" >&2
            return 1
        fi
        sleep 0.1
    done
    echo "node $i did not answer within 30 s; its stderr:" >&2
    tail -n 30 "$TMP/n$i.err" >&2
    return 1
}

# code URL [curl args]: the HTTP status only ("000" when none came back).
code() {
    local url=$1
    shift
    curl -s -o /dev/null --max-time 3 -w '%{http_code}' "$@" "$url" || true
}
health() { code "${ADDR[$1]}/v1/sys/health${2:-}"; }

# active_of NODES...: the one node answering health 200, "" if none,
# "many" if more than one.
active_of() {
    local found=""
    for i in "$@"; do
        if [ "$(health "$i")" = 200 ]; then
            [ -n "$found" ] && { echo many; return; }
            found=$i
        fi
    done
    echo "$found"
}

# wait_active SECONDS NODES...: sets ACTIVE to the node that answers 200,
# or "" after SECONDS.
wait_active() {
    local limit=$1
    shift
    local deadline=$(($(now_ms) + limit * 1000))
    ACTIVE=""
    while [ "$(now_ms)" -lt $deadline ]; do
        ACTIVE=$(active_of "$@")
        [ -n "$ACTIVE" ] && [ "$ACTIVE" != many ] && return 0
        sleep 0.1
    done
    ACTIVE=""
    return 1
}

# wait_leader_known ACTIVE NODES...: until sys/leader on every node names
# ACTIVE's api_addr (standbys read the advertisement on their own clock).
# 0 when they all do within 10 s.
wait_leader_known() {
    local a=$1 all
    shift
    for _ in $(seq 100); do
        all=1
        for i in "$@"; do
            [ "$(curl -s --max-time 2 "${ADDR[$i]}/v1/sys/leader" |
                 jq -r .leader_address 2>/dev/null)" = "${ADDR[$a]}" ] || all=0
        done
        [ $all = 1 ] && return 0
        sleep 0.1
    done
    return 1
}

unseal() {
    req PUT "${ADDR[$1]}/v1/sys/unseal" "{\"key\":\"$UNSEAL_KEY\"}"
    assert_eq "unseal node $1" 200 "$STATUS"
}

# cf ARGS...: the CLI; OUT, ERR and RC hold what happened.
cf() {
    RC=0
    "$COFFER_BIN" "$@" >"$TMP/cf.out" 2>"$TMP/cf.err" || RC=$?
    OUT=$(cat "$TMP/cf.out")
    ERR=$(cat "$TMP/cf.err")
}
matches() {
    if grep -Eq -- "$2" <<<"$3"; then ok; else fail "$1: /$2/ not in [${3:0:600}]"; fi
}

# cluster_up: ZooKeeper (prefix ZK) and nodes 1..N on it, node 1
# initialized with one key share, every node unsealed, one active node,
# every standby knowing it. Sets TOKEN, UNSEAL_KEY, A (the active node)
# and STANDBYS (the others); exits the test when the cluster cannot form.
cluster_up() {
    zk_start ZK
    for i in $(seq "$N"); do
        PORT[i]=$(free_port)
        ADDR[i]="http://127.0.0.1:${PORT[$i]}"
        write_cfg "$i" "$ZK_ADDR" "$ZPATH"
        start_node "$i"
    done
    for i in $(seq "$N"); do wait_node "$i" || exit 1; done
    req PUT "${ADDR[1]}/v1/sys/init" '{"secret_shares":1,"secret_threshold":1}'
    UNSEAL_KEY=$(jq -r '.keys_base64[0]' <<<"$BODY" 2>/dev/null || true)
    TOKEN=$(jq -r .root_token <<<"$BODY" 2>/dev/null || true)
    if [ -z "$UNSEAL_KEY" ] || [ "$UNSEAL_KEY" = null ]; then
        echo "cluster_up: init failed: $STATUS $BODY" >&2
        exit 1
    fi
    for i in $(seq "$N"); do unseal "$i"; done
    if ! wait_active 15 $(seq "$N"); then
        echo "cluster_up: no single active node within 15 s" >&2
        exit 1
    fi
    A=$ACTIVE
    STANDBYS=()
    for i in $(seq "$N"); do [ "$i" = "$A" ] || STANDBYS+=("$i"); done
    if ! wait_leader_known "$A" $(seq "$N"); then
        echo "cluster_up: the standbys do not name node $A as active within 10 s" >&2
        exit 1
    fi
}

# stop_nodes NODES...: SIGTERM, a clean exit within 10 s (checked), then
# no sanitizer report in any node's log (checked).
stop_nodes() {
    for i in "$@"; do kill -TERM "${PID[$i]}" 2>/dev/null || true; done
    for i in "$@"; do
        for _ in $(seq 100); do kill -0 "${PID[$i]}" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "${PID[$i]}" 2>/dev/null; then fail "node $i still running 10 s after SIGTERM"; else ok; fi
        wait "${PID[$i]}" 2>/dev/null || true
    done
    if grep -l -E 'ERROR: (Address|Leak|Thread)Sanitizer|runtime error:' "$TMP"/n*.err >/dev/null 2>&1; then
        fail "sanitizer report in $(grep -l -E 'Sanitizer|runtime error:' "$TMP"/n*.err | tr '\n' ' ')"
        grep -h -A12 -E 'ERROR: (Address|Leak|Thread)Sanitizer|runtime error:' "$TMP"/n*.err | head -60 >&2 || true
    else ok; fi
}
