# Secrets engines: kv (v1 pass-through, v2 versioned) and cubbyhole.
noinst_LIBRARIES += libcfengines.a
libcfengines_a_SOURCES = core/engines/engines.h \
	core/engines/kv_internal.h core/engines/kv.c core/engines/kv_common.c core/engines/kv1.c \
	core/engines/kv2.c core/engines/kv2_record.c core/engines/kv2_data.c \
	core/engines/kv2_metadata.c core/engines/cubbyhole.c

CF_ENGINES_TEST_LIBS = libcfengines.a libcfseal.a libcfplugin.a libcfconfig.a libcfrequest.a libcfutil.a $(CUNIT_LIBS) \
	$(CF_CORE_LIBS)
check_PROGRAMS += test/unit/test_kv1 test/unit/test_kv2 test/unit/test_cubbyhole
TESTS += test/unit/test_kv1 test/unit/test_kv2 test/unit/test_cubbyhole

test_unit_test_kv1_SOURCES = test/unit/test_kv1.c test/unit/engine_fixture.h \
	test/unit/mem_storage.c test/unit/mem_storage.h
test_unit_test_kv1_LDADD = $(CF_ENGINES_TEST_LIBS)
test_unit_test_kv1_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)

test_unit_test_kv2_SOURCES = test/unit/test_kv2.c test/unit/engine_fixture.h \
	test/unit/mem_storage.c test/unit/mem_storage.h
test_unit_test_kv2_LDADD = $(CF_ENGINES_TEST_LIBS)
test_unit_test_kv2_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)

test_unit_test_cubbyhole_SOURCES = test/unit/test_cubbyhole.c \
	test/unit/engine_fixture.h test/unit/mem_storage.c test/unit/mem_storage.h
test_unit_test_cubbyhole_LDADD = $(CF_ENGINES_TEST_LIBS)
test_unit_test_cubbyhole_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
