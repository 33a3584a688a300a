# A real ZooKeeper for tests: started on a free loopback port with a short
# tick (1 s sessions allowed), stopped by PID. Source after lib.sh (which
# gives TMP, PIDS, free_port and the cleanup trap) or on its own.
# shellcheck shell=bash

ZK_JARS=${ZK_JARS:-/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar}

# _zk_free_port: lib.sh's free_port when sourced after it, else our own.
_zk_free_port() {
    if declare -F free_port >/dev/null; then free_port; return; fi
    local p
    for _ in $(seq 200); do
        # Below Linux's ephemeral range (32768+), as lib.sh's free_port:
        # a client socket cannot take the port before ZooKeeper binds it.
        p=$(( (RANDOM % 12000) + 20000 ))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
            echo "$p"; return 0
        fi
    done
    echo "zk.sh: no free port" >&2; return 1
}

# _zk_ruok PORT: 0 when the server answers "imok".
_zk_ruok() {
    local r
    r=$( (exec 3<>"/dev/tcp/127.0.0.1/$1" && printf ruok >&3 &&
          timeout 2 cat <&3) 2>/dev/null) || return 1
    [ "$r" = imok ]
}

# _zk_launch PREFIX: starts java with PREFIX's config; sets PREFIX_PID.
_zk_launch() {
    local pre=$1 dir_var="${1}_DIR" port_var="${1}_PORT"
    local dir=${!dir_var} port=${!port_var}
    # jute.maxbuffer: values up to 1 MiB plus the request around them.
    java -Xmx256m -Djute.maxbuffer=4194304 \
        -Dzookeeper.admin.enableServer=false -cp "$ZK_JARS" \
        org.apache.zookeeper.server.quorum.QuorumPeerMain "$dir/zoo.cfg" \
        >>"$dir/zk.log" 2>&1 &
    local pid=$!
    printf -v "${pre}_PID" '%s' "$pid"
    export "${pre}_PID"
    if declare -p PIDS >/dev/null 2>&1; then PIDS+=("$pid"); fi
    local deadline=$((SECONDS + 30))
    while [ $SECONDS -lt $deadline ]; do
        _zk_ruok "$port" && return 0
        if ! kill -0 "$pid" 2>/dev/null; then
            echo "zk.sh: ZooKeeper exited before answering; its log:" >&2
            tail -n 30 "$dir/zk.log" >&2
            return 1
        fi
        sleep 0.1
    done
    echo "zk.sh: ZooKeeper on 127.0.0.1:$port not ready within 30 s; log:" >&2
    tail -n 30 "$dir/zk.log" >&2
    return 1
}

# zk_start PREFIX: a fresh server. Exports PREFIX_PORT, PREFIX_PID,
# PREFIX_DIR and PREFIX_ADDR ("127.0.0.1:port").
zk_start() {
    local pre=${1:-ZK} base=${TMP:-/tmp}
    local dir port
    dir=$(mktemp -d "$base/zk.XXXXXX") || return 1
    port=$(_zk_free_port) || return 1
    mkdir -p "$dir/data"
    cat >"$dir/zoo.cfg" <<EOF
tickTime=500
initLimit=10
syncLimit=5
dataDir=$dir/data
clientPort=$port
clientPortAddress=127.0.0.1
admin.enableServer=false
4lw.commands.whitelist=ruok,srvr,mntr
maxClientCnxns=0
EOF
    printf -v "${pre}_DIR" '%s' "$dir"
    printf -v "${pre}_PORT" '%s' "$port"
    printf -v "${pre}_ADDR" '%s' "127.0.0.1:$port"
    export "${pre}_DIR" "${pre}_PORT" "${pre}_ADDR"
    _zk_launch "$pre"
}

# zk_stop PREFIX: SIGTERM (SIGKILL after 5 s), then reaps the process.
zk_stop() {
    local pre=${1:-ZK} pid_var="${1:-ZK}_PID"
    local pid=${!pid_var:-}
    [ -n "$pid" ] || return 0
    kill -CONT "$pid" 2>/dev/null || true
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 50); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    printf -v "$pid_var" '%s' ""
}

# zk_pause / zk_resume PREFIX: SIGSTOP / SIGCONT (a server that is silent
# but keeps its sockets open, like a partition).
zk_pause()  { local v="${1:-ZK}_PID"; kill -STOP "${!v}"; }
zk_resume() { local v="${1:-ZK}_PID"; kill -CONT "${!v}"; }

# zk_restart PREFIX: stop, then start again on the same port and data.
zk_restart() {
    local pre=${1:-ZK}
    zk_stop "$pre"
    _zk_launch "$pre"
}
