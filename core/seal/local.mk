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

# Seeds and mutations of test/fuzz/seeds/unseal in `make check` (fuzz.h):
# key decoding and share checks against an in-memory sealed server.
check_PROGRAMS += test/fuzz/fuzz_unseal
TESTS += test/fuzz/fuzz_unseal
test_fuzz_fuzz_unseal_SOURCES = test/fuzz/fuzz_unseal.c test/fuzz/standalone.c test/fuzz/fuzz.h \
	test/unit/mem_storage.c test/unit/mem_storage.h
test_fuzz_fuzz_unseal_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/test/unit
test_fuzz_fuzz_unseal_LDADD = libcfseal.a libcfplugin.a libcfconfig.a libcfrequest.a libcfutil.a \
	$(CF_CORE_LIBS)
test_fuzz_fuzz_unseal_CFLAGS = $(AM_CFLAGS)
