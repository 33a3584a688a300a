#!/bin/sh
# Plugins, the SDK's kits and the test fixtures are built like third-party
# code: they may include <coffer/...> and system headers, and quoted
# headers of their own folder, never a core header. CF_PLUGIN_CPPFLAGS
# already keeps core/ off their include path; this names the offending
# file:line where a build would only say "no such file", and also catches
# "../" reaching out of the folder, which the include path does not stop.
# Usage: plugin_includes.sh [DIR...] (default: plugins plugin-sdk
# test/fixtures under $top_srcdir). Exit 0 clean, 1 on a bad include.
set -u
root=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
cd "$root" || exit 99
[ $# -gt 0 ] || set -- plugins plugin-sdk test/fixtures

files=$(find "$@" -type f \( -name '*.c' -o -name '*.h' \) | sort)
if [ -z "$files" ]; then
    echo "plugin_includes: no .c or .h files under $* (in $root)" >&2
    exit 99
fi
out=$(for f in $files; do
    dir=$(cd "$(dirname "$f")" && pwd -P)
    # One "LINE:HEADER" per quoted include ('#  include "x.h"' too).
    grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f" |
        sed 's/^\([0-9]*\):[^"]*"\([^"]*\)".*/\1:\2/' |
        while IFS= read -r h; do
            line=${h%%:*} hdr=${h#*:}
            real=
            [ -f "$dir/$hdr" ] && real=$(cd "$(dirname "$dir/$hdr")" && pwd -P)
            case "$real/" in
            "$dir"/*) echo ok ;;
            *) echo "$f:$line: #include \"$hdr\" does not resolve inside" \
                    "$(dirname "$f")/ — SDK headers are <coffer/...>; core" \
                    "headers are not for plugins" ;;
            esac
        done
done)
pass=$(printf '%s\n' "$out" | grep -c '^ok$')
fail=$(printf '%s\n' "$out" | grep -vc '^ok$\|^$')
printf '%s\n' "$out" | grep -v '^ok$\|^$'
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
