# The config layer: HCL/JSON parser and the server config schema.
noinst_LIBRARIES += libcfconfig.a
libcfconfig_a_SOURCES = core/config/hcl.c core/config/hcl.h \
	core/config/config.c core/config/config.h

check_PROGRAMS += test/unit/test_hcl test/unit/test_config test/fuzz/fuzz_hcl
TESTS += test/unit/test_hcl test/unit/test_config test/fuzz/fuzz_hcl

test_unit_test_hcl_SOURCES = test/unit/test_hcl.c
test_unit_test_hcl_LDADD = libcfconfig.a libcfrequest.a libcfutil.a $(CUNIT_LIBS) $(CF_CORE_LIBS)
test_unit_test_hcl_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)

test_unit_test_config_SOURCES = test/unit/test_config.c
test_unit_test_config_LDADD = libcfconfig.a libcfrequest.a libcfutil.a $(CUNIT_LIBS) $(CF_CORE_LIBS)
test_unit_test_config_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)

# Standalone replay of the seeds plus deterministic mutations; for libFuzzer
# see test/fuzz/fuzz.h and test/fuzz/libfuzzer.sh.
test_fuzz_fuzz_hcl_SOURCES = test/fuzz/fuzz_hcl.c test/fuzz/standalone.c test/fuzz/fuzz.h
test_fuzz_fuzz_hcl_LDADD = libcfconfig.a libcfrequest.a libcfutil.a $(CF_CORE_LIBS)
test_fuzz_fuzz_hcl_CFLAGS = $(AM_CFLAGS)
EXTRA_DIST += test/fuzz/seeds
