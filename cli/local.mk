# The client half of the coffer binary (every command but `server`).
noinst_LIBRARIES += libcfcli.a
libcfcli_a_SOURCES = cli/cli.c cli/cli.h cli/common.c cli/common.h \
	cli/args.c cli/args.h \
	cli/output.c cli/output.h cli/client.c cli/client.h \
	cli/cmd_status.c cli/cmd_operator.c cli/cmd_kv.c \
	cli/cmd_generic.c cli/cmd_token.c cli/cmd_policy.c \
	cli/cmd_secrets.c

check_PROGRAMS += test/unit/test_cli_args test/unit/test_cli_output
TESTS += test/unit/test_cli_args test/unit/test_cli_output
test_unit_test_cli_args_SOURCES = test/unit/test_cli_args.c
test_unit_test_cli_args_LDADD = libcfcli.a libcfutil.a $(CUNIT_LIBS) $(CF_CORE_LIBS)
test_unit_test_cli_args_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
test_unit_test_cli_output_SOURCES = test/unit/test_cli_output.c
test_unit_test_cli_output_LDADD = libcfcli.a libcfutil.a $(CUNIT_LIBS) $(CF_CORE_LIBS)
test_unit_test_cli_output_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)


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
