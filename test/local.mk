# Integration tests: the real binary, real plugins, real clients.
TESTS += test/integration/api_dev.sh test/integration/cli.sh test/integration/bdb_durability.sh \
	test/integration/config_errors.sh test/integration/hvac_client.sh \
	test/integration/ha_zk.sh test/integration/forwarding.sh test/integration/haproxy.sh
EXTRA_DIST += test/integration/lib.sh test/integration/cli.sh test/integration/api_dev.sh \
	test/integration/bdb_durability.sh test/integration/config_errors.sh \
	test/integration/hvac_client.sh test/integration/ha_zk.sh test/integration/cluster.sh \
	test/integration/forwarding.sh test/integration/haproxy.sh \
	test/unit/cf_test.h test/unit/mem_storage.c \
	test/unit/mem_storage.h
# The benchmark harness ships in the tarball but is not part of `make check`.
EXTRA_DIST += test/bench/run test/bench/README.md test/bench/bare_server.c \
	test/bench/fsync_loop.c test/bench/kv2_read.lua test/bench/kv2_write.lua \
	test/bench/failover test/bench/forwarding

# HA commands of the CLI (operator step-down/members, status) against a
# canned HTTP server.
check_PROGRAMS += test/unit/test_cli_operator test/unit/test_cli_status
TESTS += test/unit/test_cli_operator test/unit/test_cli_status
EXTRA_DIST += test/unit/test_cli_fake.h
test_unit_test_cli_operator_SOURCES = test/unit/test_cli_operator.c
test_unit_test_cli_operator_LDADD = libcfcli.a libcfutil.a $(CUNIT_LIBS) $(CF_CORE_LIBS) $(PTHREAD_LIBS)
test_unit_test_cli_operator_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
test_unit_test_cli_status_SOURCES = test/unit/test_cli_status.c
test_unit_test_cli_status_LDADD = libcfcli.a libcfutil.a $(CUNIT_LIBS) $(CF_CORE_LIBS) $(PTHREAD_LIBS)
test_unit_test_cli_status_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
