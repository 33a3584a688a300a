#!/usr/bin/env bash
# Bad configurations and bad plugins are refused with one clear line, and
# the server exits before it opens a listener.
. "$(dirname "$0")/lib.sh"

FIX=${top_builddir:-.}/test/fixtures

# expect_refusal NAME CONFIG NEEDLE...: exits non-zero, says each needle,
# and never listened on the port.
expect_refusal() {
    local name=$1 cfg=$2; shift 2
    local rc=0
    timeout 20 "$COFFER_BIN" server -config="$cfg" >"$TMP/$name.out" 2>"$TMP/$name.err" || rc=$?
    if [ $rc -eq 0 ] || [ $rc -eq 124 ]; then fail "$name: exit status $rc"; else ok; fi
    for n in "$@"; do assert_contains "$name message" "$n" "$(cat "$TMP/$name.err")"; done
    if grep -q "server started" "$TMP/$name.out"; then fail "$name: listener opened"; else ok; fi
}

PORT=$(free_port)
mkdir -p "$TMP/data"

cat >"$TMP/typo.hcl" <<HCL
storage "inmem" {}

listener "tcp" {
  adress      = "127.0.0.1:$PORT"
  tls_disable = true
}
HCL
expect_refusal typo "$TMP/typo.hcl" "typo.hcl:4" '"adress"' 'did you mean "address"'

printf 'storage "inmem" {\nlistener "tcp" { address = "127.0.0.1:%s" }\n' "$PORT" >"$TMP/syntax.hcl"
expect_refusal syntax "$TMP/syntax.hcl" "syntax.hcl:"

cat >"$TMP/noplugin.hcl" <<HCL
storage "nosuch" {}
listener "tcp" { address = "127.0.0.1:$PORT"  tls_disable = true }
disable_mlock = true
HCL
expect_refusal noplugin "$TMP/noplugin.hcl" 'nosuch'

cat >"$TMP/unwritable.hcl" <<HCL
storage "bdb" { path = "/proc/coffer-cannot-write-here" }
listener "tcp" { address = "127.0.0.1:$PORT"  tls_disable = true }
disable_mlock = true
HCL
expect_refusal unwritable "$TMP/unwritable.hcl" 'bdb' '/proc/coffer-cannot-write-here'

cat >"$TMP/badkey.hcl" <<HCL
storage "bdb" { path = "$TMP/data"  pth = "x" }
listener "tcp" { address = "127.0.0.1:$PORT"  tls_disable = true }
disable_mlock = true
HCL
expect_refusal badkey "$TMP/badkey.hcl" '"pth"'

# Plugins with the wrong ABI, without the entry point, or not an ELF object.
mkdir -p "$TMP/plugins"
if [ -d "$FIX" ]; then
    for f in "$FIX"/*.so; do cp "$f" "$TMP/plugins/"; done
fi
echo "this is not an ELF shared object" >"$TMP/plugins/garbage.so"
for case in wrong_major:"coffer-plugin 1.x" no_entry:"not a Coffer plugin" garbage:"garbage.so"; do
    name=${case%%:*} needle=${case#*:}
    if [ ! -f "$TMP/plugins/$name.so" ]; then fail "fixture $name.so missing in $FIX"; continue; fi
    cat >"$TMP/$name.hcl" <<HCL
storage "$name" {}
listener "tcp" { address = "127.0.0.1:$PORT"  tls_disable = true }
plugin_directory = "$TMP/plugins"
disable_mlock = true
HCL
    expect_refusal "$name" "$TMP/$name.hcl" "$needle"
done

rc=0; "$COFFER_BIN" server -config="$TMP/does-not-exist.hcl" 2>"$TMP/nofile.err" || rc=$?
assert_eq "missing config exit" 1 "$rc"
assert_contains "missing config message" "does-not-exist.hcl" "$(cat "$TMP/nofile.err")"

rc=0; "$COFFER_BIN" server -bogus-flag 2>"$TMP/flag.err" || rc=$?
assert_eq "unknown flag exit" 1 "$rc"

finish
