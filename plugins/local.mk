# The bundled plugins: storage (inmem, bdb), storage + HA (zookeeper) and
# transport (tls). Plain automake programs linked with -shared (no libtool),
# compiled with CF_PLUGIN_CPPFLAGS: they see include/coffer only.

plugin_PROGRAMS += plugins/inmem.so plugins/bdb.so
plugins_inmem_so_SOURCES = plugins/inmem/inmem.c
plugins_inmem_so_CPPFLAGS = $(CF_PLUGIN_CPPFLAGS)
plugins_inmem_so_CFLAGS = $(CF_PLUGIN_CFLAGS)
plugins_inmem_so_LDFLAGS = -shared
plugins_inmem_so_LDADD = $(PTHREAD_LIBS)

plugins_bdb_so_SOURCES = plugins/bdb/bdb.h plugins/bdb/env.c \
	plugins/bdb/store.c plugins/bdb/plugin.c
plugins_bdb_so_CPPFLAGS = $(CF_PLUGIN_CPPFLAGS)
plugins_bdb_so_CFLAGS = $(CF_PLUGIN_CFLAGS)
plugins_bdb_so_LDFLAGS = -shared
plugins_bdb_so_LDADD = $(BDB_LIBS) $(PTHREAD_LIBS)

# libzookeeper_mt: its synchronous API exists only with -DTHREADED.
plugin_PROGRAMS += plugins/zookeeper.so
plugins_zookeeper_so_SOURCES = plugins/zookeeper/zk.h plugins/zookeeper/conn.c \
	plugins/zookeeper/store.c plugins/zookeeper/lock.c \
	plugins/zookeeper/plugin.c
plugins_zookeeper_so_CPPFLAGS = $(CF_PLUGIN_CPPFLAGS)
plugins_zookeeper_so_CFLAGS = $(CF_PLUGIN_CFLAGS) -DTHREADED
plugins_zookeeper_so_LDFLAGS = -shared
plugins_zookeeper_so_LDADD = $(ZK_LIBS) $(PTHREAD_LIBS)

# The transport plugin: mutual-TLS request forwarding over GnuTLS.
plugin_PROGRAMS += plugins/tls.so
plugins_tls_so_SOURCES = plugins/tls/tls.h plugins/tls/wire.c \
	plugins/tls/session.c plugins/tls/server.c plugins/tls/client.c \
	plugins/tls/plugin.c
plugins_tls_so_CPPFLAGS = $(CF_PLUGIN_CPPFLAGS)
plugins_tls_so_CFLAGS = $(CF_PLUGIN_CFLAGS) $(GNUTLS_CFLAGS)
plugins_tls_so_LDFLAGS = -shared
plugins_tls_so_LDADD = $(GNUTLS_LIBS) $(PTHREAD_LIBS)

# Seeds and mutations of test/fuzz/seeds/frame in `make check` (fuzz.h): the
# tls plugin's frame decoders, compiled in as the plugin sees them (SDK
# headers only).
check_PROGRAMS += test/fuzz/fuzz_frame
TESTS += test/fuzz/fuzz_frame
test_fuzz_fuzz_frame_SOURCES = test/fuzz/fuzz_frame.c test/fuzz/standalone.c test/fuzz/fuzz.h \
	plugins/tls/wire.c plugins/tls/tls.h
test_fuzz_fuzz_frame_CPPFLAGS = $(CF_PLUGIN_CPPFLAGS) -I$(top_srcdir)/plugins/tls
test_fuzz_fuzz_frame_CFLAGS = $(CF_CFLAGS) $(GNUTLS_CFLAGS)
