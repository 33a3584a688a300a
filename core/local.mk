# The coffer binary: the composition root (main, server boot, dev mode, the
# node) over the layer libraries, highest layer first.
bin_PROGRAMS += coffer
coffer_SOURCES = core/main.c core/server.c core/server.h core/dev.c core/dev.h \
	core/core.c core/core.h
coffer_LDADD = libcfcli.a libcfhttp.a libcfgate.a libcfsys.a libcfrouter.a \
	libcfengines.a libcfauth.a libcfha.a libcfseal.a libcfplugin.a libcfconfig.a \
	libcfrequest.a libcfutil.a $(CF_CORE_LIBS)
