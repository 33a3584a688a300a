#!/usr/bin/env bash
# max_request_duration is a wall-clock limit on the whole request, the
# handler included (issue #9): a node on a real ZooKeeper whose server is
# paused (SIGSTOP) cannot finish a write; the client gets a 503 naming the
# limit within about the limit, other clients keep being served (an idle
# keep-alive connection costs no handler), and once ZooKeeper resumes the
# node serves the canary secret again. Skipped (77) without Java and
# ZooKeeper's jars.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/zk.sh"

if ! command -v java >/dev/null || [ ! -r "${ZK_JARS%%:*}" ]; then
    echo "SKIP: java or ZooKeeper jars ($ZK_JARS) not installed"
    exit 77
fi
exec 9>"${TMPDIR:-/tmp}/coffer-cluster-tests.lock"
flock 9

zk_start ZK
PORT=$(free_port)
A="http://127.0.0.1:$PORT"
# Long ZooKeeper timeouts, so that the paused server holds the write for
# far longer than max_request_duration.
cat >"$TMP/coffer.hcl" <<HCL
storage "zookeeper" {
  address         = "$ZK_ADDR"
  path            = "coffer-slow"
  session_timeout = "30s"
  request_timeout = "30s"
}
listener "tcp" {
  address              = "127.0.0.1:$PORT"
  tls_disable          = true
  max_request_duration = "2s"
}
api_addr = "$A"
disable_mlock = true
HCL
start_cfg s "$TMP/coffer.hcl"
wait_up "$A" s

init_unseal "$A"
for _ in $(seq 100); do
    req GET "$A/v1/sys/leader"
    [ "$(jq -r .is_self <<<"$BODY" 2>/dev/null)" = true ] && break
    sleep 0.1
done
assert_eq "active" true "$(jq -r .is_self <<<"$BODY")"
for _ in $(seq 100); do
    req PUT "$A/v1/cubbyhole/canary" '{"v":"tweety"}'
    [ "$STATUS" = 204 ] && break
    sleep 0.1
done
assert_eq "canary write" 204 "$STATUS"

zk_pause ZK
t0=$(date +%s%3N)
req PUT "$A/v1/cubbyhole/stuck" '{"v":"late"}' --max-time 20
t1=$(date +%s%3N)
assert_eq "write with storage paused" 503 "$STATUS"
assert_contains "the 503 names the limit" "max_request_duration" "$BODY"
ms=$((t1 - t0))
if [ "$ms" -lt 5000 ]; then ok
else fail "the 503 came after ${ms} ms (max_request_duration 2s)"; fi
# Meanwhile the node answers what needs neither storage nor the lock
# service (sys/health asks ZooKeeper who holds the lock).
req GET "$A/v1/sys/seal-status" "" --max-time 5
assert_eq "seal-status while storage is paused" 200 "$STATUS"
zk_resume ZK

canary_ok=0
for _ in $(seq 100); do
    req GET "$A/v1/cubbyhole/canary" "" --max-time 5
    if [ "$STATUS" = 200 ] && [ "$(jq -r .data.v <<<"$BODY")" = tweety ]; then
        canary_ok=1; break
    fi
    sleep 0.2
done
assert_eq "canary after ZooKeeper resumed" 1 "$canary_ok"
req PUT "$A/v1/cubbyhole/after" '{"v":"x"}' --max-time 10
assert_eq "write after ZooKeeper resumed" 204 "$STATUS"
if grep -q "answered 503 for a request from 127.0.0.1: over max_request_duration" "$TMP/s.err" "$TMP/s.out"; then ok
else fail "no log line for the answered request: $(tail -n 5 "$TMP/s.err")"; fi
kill -TERM "$PID_s"
wait "$PID_s" 2>/dev/null || true
zk_stop ZK
finish
