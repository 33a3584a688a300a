# The barrier (encryption at rest), its prefix views, and the Shamir seal.
noinst_LIBRARIES += libcfseal.a
libcfseal_a_SOURCES = core/seal/barrier.c core/seal/barrier.h core/seal/view.c core/seal/view.h \
	core/seal/aead.c core/seal/aead.h core/seal/shamir.c core/seal/shamir.h \
	core/seal/seal.c core/seal/seal.h

CF_SEAL_TEST_LIBS = libcfseal.a libcfplugin.a libcfconfig.a libcfrequest.a libcfutil.a $(CUNIT_LIBS) $(CF_CORE_LIBS)
check_PROGRAMS += test/unit/test_barrier test/unit/test_shamir test/unit/test_seal
TESTS += test/unit/test_barrier test/unit/test_shamir test/unit/test_seal

test_unit_test_barrier_SOURCES = test/unit/test_barrier.c \
	test/unit/mem_storage.c test/unit/mem_storage.h
test_unit_test_barrier_LDADD = $(CF_SEAL_TEST_LIBS)
test_unit_test_barrier_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)

test_unit_test_shamir_SOURCES = test/unit/test_shamir.c
test_unit_test_shamir_LDADD = $(CF_SEAL_TEST_LIBS)
test_unit_test_shamir_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)

test_unit_test_seal_SOURCES = test/unit/test_seal.c \
	test/unit/mem_storage.c test/unit/mem_storage.h
test_unit_test_seal_LDADD = $(CF_SEAL_TEST_LIBS)
test_unit_test_seal_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
