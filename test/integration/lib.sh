# Shared by the integration tests: start real coffer servers on free
# loopback ports, talk to them with curl, assert, and stop everything by PID.
# shellcheck shell=bash
set -euo pipefail

COFFER_BIN=${COFFER_BIN:-$(pwd)/coffer}
TMP=$(mktemp -d /tmp/coffer-it.XXXXXX)
PIDS=()
FAILS=0
CHECKS=0

cleanup() {
    for p in "${PIDS[@]:-}"; do
        [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true
    done
    for p in "${PIDS[@]:-}"; do
        [ -n "$p" ] && wait "$p" 2>/dev/null || true
    done
    [ -n "${KEEP_TMP:-}" ] || rm -rf "$TMP"
}
trap cleanup EXIT

free_port() {
    local p
    for _ in $(seq 200); do
        # Below Linux's ephemeral range (32768+), so a client socket cannot
        # take the port between this check and the server's bind.
        p=$(( (RANDOM % 12000) + 20000 ))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null &&
           ! (exec 3<>"/dev/tcp/127.0.0.1/$((p + 1))") 2>/dev/null; then
            echo "$p"; return 0
        fi
    done
    echo "no free port" >&2; return 1
}

ok()   { CHECKS=$((CHECKS + 1)); }
fail() { CHECKS=$((CHECKS + 1)); FAILS=$((FAILS + 1)); echo "FAIL: $*" >&2; }

# assert_eq WHAT EXPECTED ACTUAL
assert_eq() {
    if [ "$2" == "$3" ]; then ok; else fail "$1: expected [$2], got [$3]"; fi
}
# assert_contains WHAT NEEDLE HAYSTACK
assert_contains() {
    if [[ "$3" == *"$2"* ]]; then ok; else fail "$1: [$2] not in [${3:0:400}]"; fi
}

# wait_up URL [NAME]: until the server answers anything. With NAME, stops
# early (and shows its stderr) if that server's process has exited.
wait_up() {
    local deadline=$((SECONDS + 60)) pidvar="PID_${2:-}"
    while [ $SECONDS -lt $deadline ]; do
        curl -s -o /dev/null "$1/v1/sys/seal-status" && return 0
        if [ -n "${2:-}" ] && ! kill -0 "${!pidvar}" 2>/dev/null; then
            echo "server $2 exited before answering; its stderr:" >&2
            cat "$TMP/$2.err" >&2
            return 1
        fi
        sleep 0.1
    done
    echo "server at $1 did not come up within 60 s; its stderr:" >&2
    [ -n "${2:-}" ] && cat "$TMP/$2.err" >&2
    return 1
}

# start_dev NAME [extra flags]: sets ADDR_NAME and TOKEN (root), PID_NAME.
start_dev() {
    local name=$1; shift
    local port; port=$(free_port)
    TOKEN=${TOKEN:-root-$RANDOM$RANDOM}
    "$COFFER_BIN" server -dev -dev-listen-address="127.0.0.1:$port" \
        -dev-root-token-id="$TOKEN" -dev-no-store-token "$@" \
        >"$TMP/$name.out" 2>"$TMP/$name.err" &
    PIDS+=($!)
    printf -v "PID_$name" '%s' "$!"
    printf -v "ADDR_$name" '%s' "http://127.0.0.1:$port"
    wait_up "http://127.0.0.1:$port" "$name"
}

# start_cfg NAME CONFIG_FILE: a server from a config file.
start_cfg() {
    local name=$1 cfg=$2
    "$COFFER_BIN" server -config="$cfg" >"$TMP/$name.out" 2>"$TMP/$name.err" &
    PIDS+=($!)
    printf -v "PID_$name" '%s' "$!"
}

# req METHOD URL [BODY] [extra curl args]: sets STATUS, BODY, HEADERS.
req() {
    local method=$1 url=$2 data=${3:-}
    shift 3 2>/dev/null || shift $#
    local args=(-s -X "$method" -o "$TMP/body" -D "$TMP/headers" -w '%{http_code}')
    [ -n "${TOKEN:-}" ] && args+=(-H "X-Vault-Token: $TOKEN")
    [ -n "$data" ] && args+=(--data-binary "$data")
    STATUS=$(curl "${args[@]}" "$@" "$url") || STATUS=000
    BODY=$(cat "$TMP/body" 2>/dev/null || true)
    HEADERS=$(cat "$TMP/headers" 2>/dev/null || true)
}

# init_unseal URL: sys/init with one key share, then sys/unseal with it;
# sets TOKEN (root) and KEY.
init_unseal() {
    TOKEN=
    req PUT "$1/v1/sys/init" '{"secret_shares":1,"secret_threshold":1}'
    assert_eq "init" 200 "$STATUS"
    KEY=$(jq -r '.keys[0]' <<<"$BODY")
    TOKEN=$(jq -r .root_token <<<"$BODY")
    req PUT "$1/v1/sys/unseal" "{\"key\":\"$KEY\"}"
    assert_eq "unsealed" false "$(jq -r .sealed <<<"$BODY")"
}

# finish: the plain summary line and the exit status.
finish() {
    echo "$((CHECKS - FAILS)) passed, $FAILS failed"
    [ "$FAILS" -eq 0 ]
}
