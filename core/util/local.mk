# Utilities every layer uses: buffers, secrets, encodings, JSON, logging,
# time, error names. Depends on nothing of Coffer's.
noinst_LIBRARIES += libcfutil.a
libcfutil_a_SOURCES = core/util/buf.c core/util/buf.h core/util/secret.c \
	core/util/secret.h core/util/encode.c core/util/encode.h core/util/json.c \
	core/util/json.h core/util/log.c core/util/log.h core/util/timeutil.c \
	core/util/timeutil.h core/util/strerror.c core/util/strerror.h \
	core/util/pool.c core/util/pool.h

check_PROGRAMS += test/unit/test_timeutil test/unit/test_log
TESTS += test/unit/test_log
test_unit_test_log_SOURCES = test/unit/test_log.c
test_unit_test_log_LDADD = libcfutil.a $(CUNIT_LIBS) $(CF_CORE_LIBS)
test_unit_test_log_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
TESTS += test/unit/test_timeutil
test_unit_test_timeutil_SOURCES = test/unit/test_timeutil.c
test_unit_test_timeutil_LDADD = libcfutil.a $(CUNIT_LIBS) $(CF_CORE_LIBS)
test_unit_test_timeutil_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)

check_PROGRAMS += test/unit/test_json
TESTS += test/unit/test_json
test_unit_test_json_SOURCES = test/unit/test_json.c
test_unit_test_json_LDADD = libcfutil.a $(CUNIT_LIBS) $(CF_CORE_LIBS)
test_unit_test_json_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)

# Seeds and mutations of test/fuzz/seeds/json in `make check` (fuzz.h).
check_PROGRAMS += test/fuzz/fuzz_json
TESTS += test/fuzz/fuzz_json
test_fuzz_fuzz_json_SOURCES = test/fuzz/fuzz_json.c test/fuzz/standalone.c test/fuzz/fuzz.h
test_fuzz_fuzz_json_LDADD = libcfutil.a $(CF_CORE_LIBS)
test_fuzz_fuzz_json_CFLAGS = $(AM_CFLAGS)
EXTRA_DIST += test/fuzz/libfuzzer.sh

check_PROGRAMS += test/unit/test_pool
TESTS += test/unit/test_pool
test_unit_test_pool_SOURCES = test/unit/test_pool.c
test_unit_test_pool_LDADD = libcfutil.a $(CUNIT_LIBS) $(CF_CORE_LIBS)
test_unit_test_pool_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
