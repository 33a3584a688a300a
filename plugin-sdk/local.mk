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
