#!/usr/bin/env bash
# `make check`'s short libFuzzer run: every target for FUZZ_SECONDS (5) with
# ASan and UBSan, through libfuzzer.sh. Skips (exit 77) when clang or its
# libFuzzer runtime (Debian: clang, libclang-rt-14-dev) is missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cc=${CC_FUZZ:-clang}
if ! command -v "$cc" >/dev/null; then
    echo "SKIP: no $cc (apt-get install clang libclang-rt-14-dev)"
    exit 77
fi
out=$(mktemp -d /tmp/cf-fuzz-short.XXXXXX)
trap 'rm -rf "$out"' EXIT
printf '#include <stddef.h>\n#include <stdint.h>\nint LLVMFuzzerTestOneInput(const uint8_t *d, size_t n) { (void)d; (void)n; return 0; }\n' >"$out/probe.c"
if ! "$cc" -fsanitize=fuzzer,address,undefined "$out/probe.c" -o "$out/probe" 2>/dev/null; then
    echo "SKIP: $cc cannot link -fsanitize=fuzzer (apt-get install libclang-rt-14-dev)"
    exit 77
fi
mkdir -p "$out/run"
FUZZ_SECONDS=${FUZZ_SECONDS:-5} FUZZ_OUT="$out/run" FUZZ_BUILD=${top_builddir:-$PWD} CC="$cc" \
    "$here/libfuzzer.sh" || { cp -r "$out/run" "${TMPDIR:-/tmp}/cf-fuzz-failed.$$"; \
    echo "inputs and logs kept in ${TMPDIR:-/tmp}/cf-fuzz-failed.$$"; exit 1; }
