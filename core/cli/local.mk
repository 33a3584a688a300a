# The client half of the coffer binary (every command but `server`).
noinst_LIBRARIES += libcfcli.a
libcfcli_a_SOURCES = core/cli/cli.c core/cli/cli.h core/cli/args.c core/cli/args.h \
	core/cli/output.c core/cli/output.h core/cli/client.c core/cli/client.h \
	core/cli/cmd_status.c core/cli/cmd_operator.c core/cli/cmd_kv.c \
	core/cli/cmd_generic.c core/cli/cmd_token.c core/cli/cmd_policy.c \
	core/cli/cmd_secrets.c

check_PROGRAMS += test/unit/test_cli_args test/unit/test_cli_output
TESTS += test/unit/test_cli_args test/unit/test_cli_output
test_unit_test_cli_args_SOURCES = test/unit/test_cli_args.c
test_unit_test_cli_args_LDADD = libcfcli.a libcfutil.a $(CUNIT_LIBS) $(CF_CORE_LIBS)
test_unit_test_cli_args_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
test_unit_test_cli_output_SOURCES = test/unit/test_cli_output.c
test_unit_test_cli_output_LDADD = libcfcli.a libcfutil.a $(CUNIT_LIBS) $(CF_CORE_LIBS)
test_unit_test_cli_output_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)

