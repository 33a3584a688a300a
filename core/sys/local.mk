# The system backend (sys/...): one route table (sys.c) and a file per area.
noinst_LIBRARIES += libcfsys.a
libcfsys_a_SOURCES = core/sys/sys.c core/sys/sys.h core/sys/sys_internal.h \
	core/sys/sys_seal.c core/sys/sys_health.c core/sys/sys_mounts.c \
	core/sys/sys_capabilities.c core/sys/sys_policy.c

check_PROGRAMS += test/unit/test_sys
TESTS += test/unit/test_sys
test_unit_test_sys_SOURCES = test/unit/test_sys.c \
	test/unit/mem_storage.c test/unit/mem_storage.h
test_unit_test_sys_LDADD = libcfsys.a libcfrouter.a libcfengines.a libcfauth.a libcfha.a \
	libcfseal.a libcfplugin.a libcfconfig.a libcfrequest.a libcfutil.a \
	$(CUNIT_LIBS) $(CF_CORE_LIBS)
test_unit_test_sys_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
