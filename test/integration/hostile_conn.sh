#!/usr/bin/env bash
# Hostile clients on the API port (issue #9, F6): one address holding more
# connections than max_connections_per_address, a header and a body trickled
# a byte at a time, and a declared body over max_request_size. After each, a
# fresh client still reads the canary secret back.
. "$(dirname "$0")/lib.sh"

PORT=$(free_port)
A="http://127.0.0.1:$PORT"
cat >"$TMP/coffer.hcl" <<HCL
storage "inmem" {}
listener "tcp" {
  address     = "127.0.0.1:$PORT"
  tls_disable = true
  http_read_header_timeout = "2s"
  http_read_timeout        = "3s"
  max_request_size         = 1048576
}
api_addr = "$A"
HCL
start_cfg s "$TMP/coffer.hcl"
wait_up "$A" s

init_unseal "$A"
req PUT "$A/v1/cubbyhole/canary" '{"v":"tweety"}'
assert_eq "canary write" 204 "$STATUS"

# canary WHAT [curl args]: a fresh client reads the canary back.
canary() {
    local what=$1; shift
    req GET "$A/v1/cubbyhole/canary" "" --max-time 5 "$@"
    assert_eq "$what: canary status" 200 "$STATUS"
    assert_eq "$what: canary value" tweety "$(jq -r .data.v <<<"$BODY" 2>/dev/null)"
}

# The hostile side: raw sockets, each case bounded by its own timeout.
cat >"$TMP/hostile.py" <<'PY'
import resource, socket, sys, time
port = int(sys.argv[2])

def conn(src="127.0.0.1"):
    s = socket.socket()
    s.bind((src, 0))
    s.settimeout(10)
    s.connect(("127.0.0.1", port))
    return s

def closed_after(s, data, gap, limit):
    """Sends data a byte per gap seconds; the seconds until the server
    closes the connection, or -1 if it is still open after limit."""
    t0 = time.monotonic()
    for b in data:
        try:
            s.send(bytes([b]))
        except OSError:
            return time.monotonic() - t0
        end = time.monotonic() + gap
        s.settimeout(gap)
        try:
            while time.monotonic() < end:
                if s.recv(4096) == b"":
                    return time.monotonic() - t0
        except socket.timeout:
            pass
        except OSError:
            return time.monotonic() - t0
        if time.monotonic() - t0 > limit:
            return -1
    return -1

case = sys.argv[1]
if case == "flood":
    # Holds N idle connections from 127.0.0.1 and reports how many the
    # server kept open; stays until stdin closes.
    n = int(sys.argv[3])
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 64), hard))
    held = [conn() for _ in range(n)]
    time.sleep(0.5)
    alive = 0
    for s in held:
        s.setblocking(False)
        try:
            alive += s.recv(1) != b""
        except BlockingIOError:
            alive += 1
        except OSError:
            pass
    print(alive, flush=True)
    sys.stdin.read()
elif case == "header":
    s = conn()
    print("%.1f" % closed_after(s, b"GET /v1/sys/health HTTP/1.1\r\nHost: x\r\nX-Slow: " +
                                 b"a" * 200, 0.5, 20))
elif case == "body":
    s = conn()
    s.sendall(b"PUT /v1/cubbyhole/slow HTTP/1.1\r\nHost: x\r\n"
              b"Content-Type: application/json\r\nContent-Length: 200\r\n\r\n")
    print("%.1f" % closed_after(s, b"{" + b" " * 199, 0.5, 20))
elif case == "big":
    # Headers only: the 413 must come before any body byte is sent.
    s = conn()
    s.sendall(b"PUT /v1/cubbyhole/big HTTP/1.1\r\nHost: x\r\n"
              b"Content-Length: 1000000000\r\n\r\n")
    t0 = time.monotonic()
    s.settimeout(5)
    try:
        line = s.recv(4096).split(b"\r\n")[0].decode()
    except socket.timeout:
        line = "no answer"
    print("%s|%.1f" % (line, time.monotonic() - t0))
PY
hostile() { timeout 30 python3 "$TMP/hostile.py" "$1" "$PORT" "${@:2}"; }

# (1) 1,100 idle connections from 127.0.0.1: the per-address cap (256 by
# default) keeps all but 256 out, and 127.0.0.2 is still served.
coproc FLOOD { hostile flood 1100; }
read -r -t 20 ALIVE <&"${FLOOD[0]}" || ALIVE=
assert_eq "flood: connections the server kept from one address" 256 "$ALIVE"
canary "flood, from 127.0.0.2" --interface 127.0.0.2
req GET "$A/v1/sys/health" "" --max-time 5
assert_eq "flood: 127.0.0.1 itself is over its cap" 000 "$STATUS"
exec {FLOOD[1]}>&-
wait "$FLOOD_PID" 2>/dev/null || true
sleep 0.5
assert_contains "flood: the cap is logged" "max_connections_per_address" "$(cat "$TMP/s.err" "$TMP/s.out")"
canary "after the flood"

# (2) a header at 2 bytes/s is cut by http_read_header_timeout (2 s).
T=$(hostile header)
python3 -c "import sys; t=float('$T'); sys.exit(0 if 1.5 <= t <= 6 else 1)" &&
    ok || fail "header trickle: closed after [$T] s, want about 2"
assert_contains "header trickle: logged" "over http_read_header_timeout (2s)" \
    "$(cat "$TMP/s.err" "$TMP/s.out")"
canary "after a header trickle"

# (3) a body at 2 bytes/s is cut by http_read_timeout (3 s).
T=$(hostile body)
python3 -c "import sys; t=float('$T'); sys.exit(0 if 2.5 <= t <= 8 else 1)" &&
    ok || fail "body trickle: closed after [$T] s, want about 3"
canary "after a body trickle"

# (4) a declared body over max_request_size: 413 before the body is sent.
R=$(hostile big)
R1=${R%%|*}
assert_eq "Content-Length over the limit" "HTTP/1.1 413" "${R1:0:12}"
python3 -c "import sys; sys.exit(0 if float('${R##*|}') < 2 else 1)" &&
    ok || fail "413 took [${R##*|}] s"
canary "after an oversized body"

finish
