# The plugin host: dlopen and the ABI checks (loader), the coffer_host table
# and opening instances (host), and the host-side wrappers of storage
# (physical), ha and transport instances around one call gate.
noinst_LIBRARIES += libcfplugin.a
libcfplugin_a_SOURCES = core/plugin/loader.c core/plugin/loader.h \
	core/plugin/host.c \
	core/plugin/physical.c core/plugin/physical.h core/plugin/cache.c core/plugin/cache.h \
	core/plugin/ha_backend.c core/plugin/ha_backend.h \
	core/plugin/transport_backend.c core/plugin/transport_backend.h \
	core/plugin/call_gate.c core/plugin/call_gate.h \
	core/plugin/dir.c core/plugin/dir.h

check_PROGRAMS += test/unit/test_plugin_loader
TESTS += test/unit/test_plugin_loader
test_unit_test_plugin_loader_SOURCES = test/unit/test_plugin_loader.c
test_unit_test_plugin_loader_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
test_unit_test_plugin_loader_LDADD = libcfplugin.a libcfha.a libcfconfig.a libcfrequest.a libcfutil.a \
	$(CUNIT_LIBS) $(CF_CORE_LIBS)
# It loads the fixtures of test/fixtures/local.mk (check_DATA, built first).

check_PROGRAMS += test/unit/test_cache
TESTS += test/unit/test_cache
test_unit_test_cache_SOURCES = test/unit/test_cache.c
test_unit_test_cache_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
test_unit_test_cache_LDADD = libcfplugin.a libcfutil.a $(CUNIT_LIBS) $(CF_CORE_LIBS)
