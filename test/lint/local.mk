# Checks on the source tree itself, run by `make check` like any test.
# plugin_includes: plugins, the SDK's kits and fixtures include no core
# header (quoted includes stay inside their own folder).
TESTS += test/lint/plugin_includes.sh
EXTRA_DIST += test/lint/plugin_includes.sh
# static: cppcheck and scan-build (a clang build of its own, ~1 min on 2
# cores) find nothing; skipped when either tool or clang is missing.
TESTS += test/lint/static.sh
EXTRA_DIST += test/lint/static.sh
# format: every C file follows .clang-format (skipped without clang-format).
TESTS += test/lint/format.sh
EXTRA_DIST += test/lint/format.sh .clang-format
