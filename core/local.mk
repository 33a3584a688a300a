# The coffer binary: core glue (router, mounts, sys backend, server) over
# the area libraries.
bin_PROGRAMS += coffer
coffer_SOURCES = core/main.c core/server.c core/server.h core/dev.c core/dev.h \
	core/plugin_dir.c core/plugin_dir.h core/core.c core/core.h \
	core/core_internal.h core/router.c core/mounts.c core/mounts.h \
	core/sys/sys.c core/sys/sys.h core/sys/sys_seal.c core/sys/sys_health.c \
	core/sys/sys_mounts.c core/sys/sys_capabilities.c core/ha/ha.c core/ha/ha.h \
	core/forward.c core/forward.h
coffer_LDADD = libcfcli.a libcfhttp.a libcfengines.a libcfauth.a libcfplugin.a \
	libcfha.a libcfseal.a libcfconfig.a libcfutil.a $(CF_CORE_LIBS)
