# The router: token → mount → ACL → backend, over the mount table and the
# registry of backend types.
noinst_LIBRARIES += libcfrouter.a
libcfrouter_a_SOURCES = core/router/router.c core/router/router.h \
	core/router/mounts.c core/router/mounts.h \
	core/router/registry.c core/router/registry.h

CF_ROUTER_TEST_LIBS = libcfrouter.a libcfauth.a libcfseal.a libcfplugin.a libcfconfig.a \
	libcfrequest.a libcfutil.a $(CUNIT_LIBS) $(CF_CORE_LIBS)
check_PROGRAMS += test/unit/test_mounts test/unit/test_router
TESTS += test/unit/test_mounts test/unit/test_router

test_unit_test_mounts_SOURCES = test/unit/test_mounts.c \
	test/unit/mem_storage.c test/unit/mem_storage.h
test_unit_test_mounts_LDADD = $(CF_ROUTER_TEST_LIBS)
test_unit_test_mounts_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)

test_unit_test_router_SOURCES = test/unit/test_router.c \
	test/unit/mem_storage.c test/unit/mem_storage.h
test_unit_test_router_LDADD = $(CF_ROUTER_TEST_LIBS)
test_unit_test_router_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
