#!/usr/bin/env bash
# Builds the fuzz targets for libFuzzer (clang, ASan, UBSan) and runs each
# for a while on a scratch copy of its seeds:
#   test/fuzz/libfuzzer.sh [target...]   (json form path hcl policy frame
#                                         unseal; default all)
#   FUZZ_SECONDS=60 (per target), FUZZ_OUT=DIR (kept; default a temp dir),
#   FUZZ_BUILD=DIR (a configured build tree, for coffer/version.h),
#   FUZZ_RUNS=N (stop after N executions, within FUZZ_SECONDS),
#   FUZZ_MAX_LEN=BYTES (65536), FUZZ_KEEP=1 (merge what the run found into
#   test/fuzz/corpus/<target>, minimised: the grown corpora kept in the
#   repo beside the hand-written seeds; every run starts from both)
# Prints the executions each target ran; exits 1 if any target crashed,
# leaked or timed out (the input is in FUZZ_OUT/crash_<target>-*). `make
# check` runs it briefly through test/fuzz/short.sh.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
out=${FUZZ_OUT:-$(mktemp -d /tmp/cf-libfuzzer.XXXXXX)}
secs=${FUZZ_SECONDS:-60}
runs=${FUZZ_RUNS:--1}
max_len=${FUZZ_MAX_LEN:-65536}
cc=${CC:-clang}
read -r -a pc_cflags <<<"$(pkg-config --cflags yajl libmicrohttpd gnutls)"
read -r -a pc_libs <<<"$(pkg-config --libs yajl libmicrohttpd gnutls)"
# coffer/version.h is made by configure; without a build tree, a stand-in.
gen="$out/include"
if [ -n "${FUZZ_BUILD:-}" ] && [ -f "$FUZZ_BUILD/include/coffer/version.h" ]; then
    gen="$FUZZ_BUILD/include"
elif [ ! -f "$gen/coffer/version.h" ]; then
    mkdir -p "$gen/coffer"
    sed 's/@PACKAGE_VERSION@/0-fuzz/' "$src/include/coffer/version.h.in" >"$gen/coffer/version.h"
fi
san=(-g -O1 -fsanitize=address,undefined -fno-sanitize-recover=undefined)
# Core code sees its rooted includes; the tls plugin the SDK headers only.
core_inc=(-D_GNU_SOURCE -I"$src/include" -I"$gen" -I"$src/core" -I"$src" -I"$src/test/unit" "${pc_cflags[@]}")
plugin_inc=(-D_GNU_SOURCE -I"$src/include" -I"$gen" -I"$src/plugins/tls" "${pc_cflags[@]}")
util=("$src"/core/util/*.c)
request=("$src/core/request/request.c")
config=("$src"/core/config/*.c "${request[@]}")
mkdir -p "$out/obj"

# obj SOURCE INC...: compiles SOURCE once per run into $out/obj (the targets
# share most of the core) and prints the object's path.
obj() {
    local f=$1 o
    shift
    o="$out/obj/$(echo "${f#"$src"/}" | tr / _).o"
    [ -f "$o" ] || "$cc" "${san[@]}" -fsanitize=fuzzer-no-link "$@" -c "$f" -o "$o"
    echo "$o"
}

[ $# -gt 0 ] || set -- json form path hcl policy frame unseal
failed=()
for t in "$@"; do
    inc=("${core_inc[@]}")
    libs=()
    case $t in
        json) code=("${util[@]}") ;;
        form|path) code=("$src/core/http/request_parse.c" "${request[@]}" "${util[@]}") ;;
        hcl) code=("${config[@]}" "${util[@]}") ;;
        policy) code=("$src/core/auth/policy.c" "${config[@]}" "${util[@]}") ;;
        frame) code=("$src/plugins/tls/wire.c"); inc=("${plugin_inc[@]}") ;;
        unseal) code=("$src"/core/seal/*.c "$src"/core/plugin/*.c "${config[@]}" "${util[@]}"
                      "$src/test/unit/mem_storage.c"); libs=(-lgfshare -ldl) ;;
        *) echo "unknown target $t" >&2; exit 2 ;;
    esac
    objs=()
    for f in "$src/test/fuzz/fuzz_$t.c" "${code[@]}"; do
        o=$(obj "$f" "${inc[@]}")     # a compile error stops the script
        objs+=("$o")
    done
    "$cc" "${san[@]}" -fsanitize=fuzzer "${objs[@]}" "${pc_libs[@]}" "${libs[@]}" \
        -pthread -o "$out/fuzz_$t"
    mkdir -p "$out/corpus_$t"
    cp "$src/test/fuzz/seeds/$t/"* "$out/corpus_$t/"
    if [ -d "$src/test/fuzz/corpus/$t" ]; then
        cp "$src/test/fuzz/corpus/$t/"* "$out/corpus_$t/" 2>/dev/null || true
    fi
    echo "== fuzz_$t: $secs s, artifacts in $out"
    rc=0
    (cd "$out" && "./fuzz_$t" -max_total_time="$secs" -runs="$runs" -max_len="$max_len" -print_final_stats=1 \
        -artifact_prefix="$out/crash_$t-" "corpus_$t") 2>"$out/fuzz_$t.log" || rc=$?
    grep -E "ERROR:|SUMMARY:" "$out/fuzz_$t.log" || true
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/fuzz_$t.log")
    if [ "$rc" -ne 0 ] || [ -z "$execs" ]; then
        tail -n 5 "$out/fuzz_$t.log"
        echo "fuzz_$t: FAILED (exit $rc), log $out/fuzz_$t.log"
        failed+=("$t")
    else
        echo "fuzz_$t: $execs executions, no crash"
        if [ "${FUZZ_KEEP:-0}" = 1 ]; then
            mkdir -p "$out/merged_$t"
            (cd "$out" && "./fuzz_$t" -merge=1 -max_len="$max_len" "merged_$t" \
                "corpus_$t") >>"$out/fuzz_$t.log" 2>&1
            mkdir -p "$src/test/fuzz/corpus/$t"
            rm -f "$src/test/fuzz/corpus/$t/"*
            cp "$out/merged_$t/"* "$src/test/fuzz/corpus/$t/"
            echo "fuzz_$t: corpus kept: $(ls "$src/test/fuzz/corpus/$t" | wc -l) inputs"
        fi
    fi
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "libfuzzer: failed: ${failed[*]}" >&2
    exit 1
fi
