# The coffer binary: the composition root (main, server boot, dev mode, the
# node's lifecycle) over the layer libraries.
bin_PROGRAMS += coffer
coffer_SOURCES += core/main.c core/server.c core/server.h core/dev.c core/dev.h \
	core/core.c core/core.h core/core_internal.h
coffer_LDADD = libcfcli.a libcfhttp.a libcfsys.a libcfha.a libcfengines.a libcfauth.a \
	libcfseal.a libcfplugin.a libcfconfig.a libcfrequest.a libcfutil.a $(CF_CORE_LIBS)
