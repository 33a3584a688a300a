# Tokens, policies and ACLs, and the token auth backend (auth/token/*).
# The policy tests also drive sys/policy*, whose handlers live in sys/.
noinst_LIBRARIES += libcfauth.a
libcfauth_a_SOURCES = core/auth/auth.h core/auth/policy.c core/auth/policy.h \
	core/auth/policy_store.c core/auth/policy_store.h core/auth/acl.c \
	core/auth/acl.h core/auth/acl_cache.c core/auth/acl_cache.h core/auth/token_store.c core/auth/token_store.h \
	core/auth/token_backend.c

CF_AUTH_TEST_LIBS = libcfsys.a libcfauth.a libcfseal.a libcfplugin.a libcfconfig.a libcfrequest.a libcfutil.a \
	$(CUNIT_LIBS) $(CF_CORE_LIBS)
check_PROGRAMS += test/unit/test_policy test/unit/test_acl \
	test/unit/test_token_store test/unit/test_token_backend
TESTS += test/unit/test_policy test/unit/test_acl \
	test/unit/test_token_store test/unit/test_token_backend

test_unit_test_policy_SOURCES = test/unit/test_policy.c \
	test/unit/mem_storage.c test/unit/mem_storage.h
test_unit_test_policy_LDADD = $(CF_AUTH_TEST_LIBS)
test_unit_test_policy_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)

test_unit_test_acl_SOURCES = test/unit/test_acl.c
test_unit_test_acl_LDADD = $(CF_AUTH_TEST_LIBS)
test_unit_test_acl_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)

test_unit_test_token_store_SOURCES = test/unit/test_token_store.c \
	test/unit/mem_storage.c test/unit/mem_storage.h
test_unit_test_token_store_LDADD = $(CF_AUTH_TEST_LIBS)
test_unit_test_token_store_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)

test_unit_test_token_backend_SOURCES = test/unit/test_token_backend.c \
	test/unit/mem_storage.c test/unit/mem_storage.h
test_unit_test_token_backend_LDADD = $(CF_AUTH_TEST_LIBS)
test_unit_test_token_backend_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)

# Seeds and mutations of test/fuzz/seeds/policy in `make check` (fuzz.h).
check_PROGRAMS += test/fuzz/fuzz_policy
TESTS += test/fuzz/fuzz_policy
test_fuzz_fuzz_policy_SOURCES = test/fuzz/fuzz_policy.c test/fuzz/standalone.c test/fuzz/fuzz.h
test_fuzz_fuzz_policy_LDADD = libcfauth.a libcfconfig.a libcfrequest.a libcfutil.a $(CF_CORE_LIBS)
test_fuzz_fuzz_policy_CFLAGS = $(AM_CFLAGS)
