# Integration tests: the real binary, real plugins, real clients.
TESTS += test/integration/api_dev.sh test/integration/cli.sh test/integration/bdb_durability.sh \
	test/integration/config_errors.sh test/integration/hvac_client.sh \
	test/integration/ha_zk.sh test/integration/forwarding.sh test/integration/haproxy.sh
# Hostile input (issue #9): lifecycle races.
TESTS += test/integration/hostile_life.sh
EXTRA_DIST += test/integration/hostile_life.sh
# Hostile input (issue #9): numbers that would overflow.
TESTS += test/integration/hostile_numbers.sh
# Hostile input (issue #9): connection caps and deadlines.
TESTS += test/integration/hostile_conn.sh
EXTRA_DIST += test/integration/hostile_conn.sh
# Hostile input (issue #9): a handler held past max_request_duration.
TESTS += test/integration/hostile_slow.sh
EXTRA_DIST += test/integration/hostile_slow.sh
# Hostile input (issue #9): bodies and paths.
TESTS += test/integration/hostile_parse.sh
EXTRA_DIST += test/integration/lib.sh test/integration/cli.sh test/integration/api_dev.sh \
	test/integration/bdb_durability.sh test/integration/config_errors.sh \
	test/integration/hvac_client.sh test/integration/ha_zk.sh test/integration/cluster.sh \
	test/integration/forwarding.sh test/integration/haproxy.sh test/integration/hostile_numbers.sh \
	test/unit/cf_test.h test/unit/mem_storage.c \
	test/integration/hostile_parse.sh \
	test/unit/mem_storage.h
# Hostile input (issue #9): parameter constraints and policy names.
TESTS += test/integration/hostile_acl.sh
EXTRA_DIST += test/integration/hostile_acl.sh
# The benchmark harness ships in the tarball but is not part of `make check`.
EXTRA_DIST += test/bench/run test/bench/README.md test/bench/bare_server.c \
	test/bench/fsync_loop.c test/bench/kv2_read.lua test/bench/kv2_write.lua \
	test/bench/failover test/bench/forwarding test/bench/idle_conns
# Hostile input (issue #9): a short libFuzzer run of every fuzz target
# (skipped without clang and libFuzzer).
TESTS += test/fuzz/short.sh
EXTRA_DIST += test/fuzz/short.sh
