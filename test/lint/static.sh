#!/bin/sh
# The two static analysers the tree is kept clean under, run by `make
# check` like any test: cppcheck over the sources, then scan-build over a
# clang build in a temporary folder. A false positive is answered at its
# line (cppcheck-suppress with the reason, or an assert the analyzer
# follows), never by a file-wide suppression.
# Usage: static.sh. Exit 0 clean, 1 on a finding, 77 (SKIP) when cppcheck,
# scan-build or clang is missing. Takes about a minute on 2 cores.
set -u
root=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
root=$(cd "$root" && pwd) || exit 99
cd "$root" || exit 99

for tool in cppcheck scan-build clang; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "static: $tool not found: skipped (Debian: apt-get install" \
             "cppcheck clang clang-tools, as share/quickstart does)"
        exit 77
    fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/coffer-static.XXXXXX") || exit 99
keep=0
trap '[ "$keep" -eq 1 ] || rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
pass=0 fail=0
now() { date +%s; }

t0=$(now)
if cppcheck -q --enable=warning,performance,portability --std=c11 \
        -I core -I include -I . --inline-suppr --error-exitcode=1 \
        core cli plugins plugin-sdk; then
    pass=$((pass + 1))
    echo "static: cppcheck clean ($(($(now) - t0)) s)"
else
    fail=$((fail + 1))
    echo "static: cppcheck reported the findings above"
fi

# Its own build tree, so that the analysis sees every file compiled and
# the caller's build is left alone. The caller's make flags (jobserver,
# -s, -k) are not ours: the analysis takes exactly two jobs.
t0=$(now)
mkdir "$tmp/build" || exit 99
if ! (cd "$tmp/build" && CC=clang "$root/configure" -q) >"$tmp/configure.log" 2>&1; then
    fail=$((fail + 1))
    tail -n 20 "$tmp/configure.log"
    echo "static: configure with CC=clang failed (a source tree configured" \
         "in place must be distcleaned first)"
elif env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
        scan-build -o "$tmp/report" --status-bugs \
        make -C "$tmp/build" -j2 -s >"$tmp/scan-build.log" 2>&1; then
    pass=$((pass + 1))
    echo "static: scan-build clean ($(($(now) - t0)) s)"
else
    fail=$((fail + 1))
    keep=1
    rm -rf "$tmp/build"
    grep -E ': (warning|error):|bugs? found' "$tmp/scan-build.log" ||
        tail -n 20 "$tmp/scan-build.log"
    echo "static: scan-build failed; log and report kept:" \
         "$tmp/scan-build.log, scan-view $tmp/report/*"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
