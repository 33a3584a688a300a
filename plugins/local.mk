# The plugins area: the plugin loader (libcfplugin.a), the bundled storage
# plugins, the loader's fixture plugins and test, and the SDK's storage
# conformance kit run against each bundled plugin. Plugins are plain
# automake programs linked with -shared (no libtool).
noinst_LIBRARIES += libcfplugin.a
libcfplugin_a_SOURCES = core/plugin_loader.c core/plugin_loader.h \
	core/ha_backend.c core/ha_backend.h \
	core/transport_backend.c core/transport_backend.h \
	core/plugin_gate.c core/plugin_gate.h

CF_PLUGIN_CFLAGS = $(AM_CFLAGS) -fPIC -fvisibility=hidden

plugin_PROGRAMS += plugins/inmem.so plugins/bdb.so
plugins_inmem_so_SOURCES = plugins/inmem/inmem.c
plugins_inmem_so_CFLAGS = $(CF_PLUGIN_CFLAGS)
plugins_inmem_so_LDFLAGS = -shared
plugins_inmem_so_LDADD = $(PTHREAD_LIBS)

plugins_bdb_so_SOURCES = plugins/bdb/bdb.h plugins/bdb/env.c \
	plugins/bdb/store.c plugins/bdb/plugin.c
plugins_bdb_so_CFLAGS = $(CF_PLUGIN_CFLAGS)
plugins_bdb_so_LDFLAGS = -shared
plugins_bdb_so_LDADD = $(BDB_LIBS) $(PTHREAD_LIBS)

# libzookeeper_mt: its synchronous API exists only with -DTHREADED.
plugin_PROGRAMS += plugins/zookeeper.so
plugins_zookeeper_so_SOURCES = plugins/zookeeper/zk.h plugins/zookeeper/conn.c \
	plugins/zookeeper/store.c plugins/zookeeper/lock.c \
	plugins/zookeeper/plugin.c
plugins_zookeeper_so_CFLAGS = $(CF_PLUGIN_CFLAGS) -DTHREADED
plugins_zookeeper_so_LDFLAGS = -shared
plugins_zookeeper_so_LDADD = $(ZK_LIBS) $(PTHREAD_LIBS)

# The transport plugin: mutual-TLS request forwarding over GnuTLS.
plugin_PROGRAMS += plugins/tls.so
plugins_tls_so_SOURCES = plugins/tls/tls.h plugins/tls/wire.c \
	plugins/tls/session.c plugins/tls/server.c plugins/tls/client.c \
	plugins/tls/plugin.c
plugins_tls_so_CFLAGS = $(CF_PLUGIN_CFLAGS) $(GNUTLS_CFLAGS)
plugins_tls_so_LDFLAGS = -shared
plugins_tls_so_LDADD = $(GNUTLS_LIBS) $(PTHREAD_LIBS)

# One fixture plugin per refusal the loader makes (test/fixtures/fixture.c
# built once per FIX_<case>); garbage.so is written by the test itself.
check_PROGRAMS += test/fixtures/bad_magic.so \
	test/fixtures/wrong_major.so \
	test/fixtures/newer_minor.so \
	test/fixtures/short_struct.so \
	test/fixtures/wrong_name.so \
	test/fixtures/no_storage.so \
	test/fixtures/short_storage.so \
	test/fixtures/no_get.so \
	test/fixtures/no_entry.so \
	test/fixtures/null_entry.so \
	test/fixtures/keys.so \
	test/fixtures/short_ha.so \
	test/fixtures/no_ha.so \
	test/fixtures/ha.so \
	test/fixtures/transport.so \
	test/fixtures/short_transport.so \
	test/fixtures/old_transport.so \
	test/fixtures/no_roundtrip.so
test_fixtures_bad_magic_so_SOURCES = test/fixtures/fixture.c
test_fixtures_bad_magic_so_CFLAGS = $(CF_PLUGIN_CFLAGS) -DFIX_bad_magic
test_fixtures_bad_magic_so_LDFLAGS = -shared
test_fixtures_wrong_major_so_SOURCES = test/fixtures/fixture.c
test_fixtures_wrong_major_so_CFLAGS = $(CF_PLUGIN_CFLAGS) -DFIX_wrong_major
test_fixtures_wrong_major_so_LDFLAGS = -shared
test_fixtures_newer_minor_so_SOURCES = test/fixtures/fixture.c
test_fixtures_newer_minor_so_CFLAGS = $(CF_PLUGIN_CFLAGS) -DFIX_newer_minor
test_fixtures_newer_minor_so_LDFLAGS = -shared
test_fixtures_short_struct_so_SOURCES = test/fixtures/fixture.c
test_fixtures_short_struct_so_CFLAGS = $(CF_PLUGIN_CFLAGS) -DFIX_short_struct
test_fixtures_short_struct_so_LDFLAGS = -shared
test_fixtures_wrong_name_so_SOURCES = test/fixtures/fixture.c
test_fixtures_wrong_name_so_CFLAGS = $(CF_PLUGIN_CFLAGS) -DFIX_wrong_name
test_fixtures_wrong_name_so_LDFLAGS = -shared
test_fixtures_no_storage_so_SOURCES = test/fixtures/fixture.c
test_fixtures_no_storage_so_CFLAGS = $(CF_PLUGIN_CFLAGS) -DFIX_no_storage
test_fixtures_no_storage_so_LDFLAGS = -shared
test_fixtures_short_storage_so_SOURCES = test/fixtures/fixture.c
test_fixtures_short_storage_so_CFLAGS = $(CF_PLUGIN_CFLAGS) -DFIX_short_storage
test_fixtures_short_storage_so_LDFLAGS = -shared
test_fixtures_no_get_so_SOURCES = test/fixtures/fixture.c
test_fixtures_no_get_so_CFLAGS = $(CF_PLUGIN_CFLAGS) -DFIX_no_get
test_fixtures_no_get_so_LDFLAGS = -shared
test_fixtures_no_entry_so_SOURCES = test/fixtures/fixture.c
test_fixtures_no_entry_so_CFLAGS = $(CF_PLUGIN_CFLAGS) -DFIX_no_entry
test_fixtures_no_entry_so_LDFLAGS = -shared
test_fixtures_null_entry_so_SOURCES = test/fixtures/fixture.c
test_fixtures_null_entry_so_CFLAGS = $(CF_PLUGIN_CFLAGS) -DFIX_null_entry
test_fixtures_null_entry_so_LDFLAGS = -shared
test_fixtures_keys_so_SOURCES = test/fixtures/fixture.c
test_fixtures_keys_so_CFLAGS = $(CF_PLUGIN_CFLAGS) -DFIX_keys
test_fixtures_keys_so_LDFLAGS = -shared
test_fixtures_short_ha_so_SOURCES = test/fixtures/fixture.c
test_fixtures_short_ha_so_CFLAGS = $(CF_PLUGIN_CFLAGS) -DFIX_short_ha
test_fixtures_short_ha_so_LDFLAGS = -shared
test_fixtures_no_ha_so_SOURCES = test/fixtures/fixture.c
test_fixtures_no_ha_so_CFLAGS = $(CF_PLUGIN_CFLAGS) -DFIX_no_ha
test_fixtures_no_ha_so_LDFLAGS = -shared
test_fixtures_ha_so_SOURCES = test/fixtures/fixture.c
test_fixtures_ha_so_CFLAGS = $(CF_PLUGIN_CFLAGS) -DFIX_ha
test_fixtures_ha_so_LDFLAGS = -shared
test_fixtures_ha_so_LDADD = $(PTHREAD_LIBS)
test_fixtures_transport_so_SOURCES = test/fixtures/fixture.c
test_fixtures_transport_so_CFLAGS = $(CF_PLUGIN_CFLAGS) -DFIX_transport
test_fixtures_transport_so_LDFLAGS = -shared
test_fixtures_short_transport_so_SOURCES = test/fixtures/fixture.c
test_fixtures_short_transport_so_CFLAGS = $(CF_PLUGIN_CFLAGS) -DFIX_short_transport
test_fixtures_short_transport_so_LDFLAGS = -shared
test_fixtures_old_transport_so_SOURCES = test/fixtures/fixture.c
test_fixtures_old_transport_so_CFLAGS = $(CF_PLUGIN_CFLAGS) -DFIX_old_transport
test_fixtures_old_transport_so_LDFLAGS = -shared
test_fixtures_no_roundtrip_so_SOURCES = test/fixtures/fixture.c
test_fixtures_no_roundtrip_so_CFLAGS = $(CF_PLUGIN_CFLAGS) -DFIX_no_roundtrip
test_fixtures_no_roundtrip_so_LDFLAGS = -shared

check_PROGRAMS += test/unit/test_plugin_loader
TESTS += test/unit/test_plugin_loader
test_unit_test_plugin_loader_SOURCES = test/unit/test_plugin_loader.c
test_unit_test_plugin_loader_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
test_unit_test_plugin_loader_LDADD = libcfplugin.a libcfha.a libcfconfig.a libcfutil.a \
	$(CUNIT_LIBS) $(CF_CORE_LIBS)

# The conformance kits use include/coffer/ only: they ship to plugin
# authors. kit_host.c is the host side all three share.
CF_KIT_HOST_SOURCES = plugin-sdk/conformance/kit_host.c \
	plugin-sdk/conformance/kit_host.h
check_PROGRAMS += plugin-sdk/conformance/storage_conformance
plugin_sdk_conformance_storage_conformance_SOURCES = \
	plugin-sdk/conformance/storage_conformance.c $(CF_KIT_HOST_SOURCES)
plugin_sdk_conformance_storage_conformance_CPPFLAGS = -I$(top_srcdir)/include \
	-I$(top_builddir)/include
plugin_sdk_conformance_storage_conformance_CFLAGS = $(CF_CFLAGS) $(CUNIT_CFLAGS)
plugin_sdk_conformance_storage_conformance_LDADD = $(CUNIT_LIBS) $(PTHREAD_LIBS) $(LIBS)
check_PROGRAMS += plugin-sdk/conformance/ha_conformance
plugin_sdk_conformance_ha_conformance_SOURCES = \
	plugin-sdk/conformance/ha_conformance.c $(CF_KIT_HOST_SOURCES)
plugin_sdk_conformance_ha_conformance_CPPFLAGS = -I$(top_srcdir)/include \
	-I$(top_builddir)/include
plugin_sdk_conformance_ha_conformance_CFLAGS = $(CF_CFLAGS) $(CUNIT_CFLAGS)
plugin_sdk_conformance_ha_conformance_LDADD = $(CUNIT_LIBS) $(PTHREAD_LIBS) $(LIBS)
check_PROGRAMS += plugin-sdk/conformance/transport_conformance
plugin_sdk_conformance_transport_conformance_SOURCES = \
	plugin-sdk/conformance/transport_conformance.c $(CF_KIT_HOST_SOURCES)
plugin_sdk_conformance_transport_conformance_CPPFLAGS = -I$(top_srcdir)/include \
	-I$(top_builddir)/include
plugin_sdk_conformance_transport_conformance_CFLAGS = $(CF_CFLAGS) \
	$(CUNIT_CFLAGS) $(GNUTLS_CFLAGS)
plugin_sdk_conformance_transport_conformance_LDADD = $(CUNIT_LIBS) \
	$(GNUTLS_LIBS) $(PTHREAD_LIBS) $(LIBS)
TESTS += plugin-sdk/conformance/inmem.test plugin-sdk/conformance/bdb.test \
	plugin-sdk/conformance/zookeeper.test plugin-sdk/conformance/tls.test
EXTRA_DIST += plugin-sdk/conformance/inmem.test plugin-sdk/conformance/bdb.test \
	plugin-sdk/conformance/zookeeper.test plugin-sdk/conformance/tls.test test/integration/zk.sh \
	plugin-sdk/conformance/README.md
