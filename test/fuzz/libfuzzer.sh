#!/usr/bin/env bash
# Builds the fuzz targets for libFuzzer (clang, ASan, UBSan) and runs each
# for a while on a scratch copy of its seeds. Not part of `make check`:
#   test/fuzz/libfuzzer.sh [target...]     (json form path hcl; default all)
#   FUZZ_SECONDS=60 (per target), FUZZ_OUT=DIR (kept; default a temp dir)
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
out=${FUZZ_OUT:-$(mktemp -d /tmp/cf-libfuzzer.XXXXXX)}
secs=${FUZZ_SECONDS:-60}
cc=${CC:-clang}
read -r -a pc_cflags <<<"$(pkg-config --cflags yajl libmicrohttpd gnutls)"
read -r -a pc_libs <<<"$(pkg-config --libs yajl libmicrohttpd gnutls)"
cflags=(-g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
        -I"$src/include" -I"$src/core" -I"$src" "${pc_cflags[@]}")
util=("$src"/core/util/*.c)
[ $# -gt 0 ] || set -- json form path hcl
for t in "$@"; do
    case $t in
        json) code=() ;;
        form|path) code=("$src/core/http/request_parse.c" "$src/core/request/request.c") ;;
        hcl) code=("$src"/core/config/*.c "$src/core/request/request.c") ;;
        *) echo "unknown target $t" >&2; exit 2 ;;
    esac
    "$cc" "${cflags[@]}" "$src/test/fuzz/fuzz_$t.c" "${code[@]}" "${util[@]}" \
        "${pc_libs[@]}" -pthread -o "$out/fuzz_$t"
    mkdir -p "$out/corpus_$t"
    cp "$src/test/fuzz/seeds/$t/"* "$out/corpus_$t/"
    echo "== fuzz_$t: $secs s, artifacts in $out"
    (cd "$out" && "./fuzz_$t" -max_total_time="$secs" -max_len=65536 \
        -artifact_prefix="$out/crash_$t-" "corpus_$t") 2>"$out/fuzz_$t.log" || true
    grep -E "^#[0-9]+ +DONE|^Done|ERROR:|SUMMARY:|stat::number_of_executed_units" \
        "$out/fuzz_$t.log" || tail -n 5 "$out/fuzz_$t.log"
done
