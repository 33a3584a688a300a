#!/bin/sh
# The tree follows .clang-format: every C source and header, checked with
# the clang-format Debian 12 ships (14), as `make check` runs any test.
# Exit 0 clean, 1 with the files that drift (fix: clang-format -i FILE),
# 77 (SKIP) without clang-format or .clang-format.
set -u
root=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root" || exit 99
if ! command -v clang-format >/dev/null 2>&1; then
    echo "format: clang-format not found: skipped (Debian: apt-get install clang-format)"
    exit 77
fi
[ -f .clang-format ] || { echo "format: no .clang-format in $root: skipped"; exit 77; }
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    files=$(git ls-files '*.c' '*.h')
else
    files=$(find core cli plugins plugin-sdk include test -name '*.[ch]' 2>/dev/null)
fi
bad=0
for f in $files; do
    [ -f "$f" ] || continue
    if ! clang-format --dry-run -Werror "$f" >/dev/null 2>&1; then
        echo "format: $f does not follow .clang-format (clang-format -i $f)"
        bad=$((bad + 1))
    fi
done
n=$(echo "$files" | wc -w)
if [ "$bad" -gt 0 ]; then
    echo "format: $bad of $n files drift"
    exit 1
fi
echo "format: $n files follow .clang-format"
