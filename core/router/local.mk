# The router: token → mount → ACL → backend, over the mount table and the
# registry of backend types.
noinst_LIBRARIES += libcfrouter.a
libcfrouter_a_SOURCES = core/router/router.c core/router/router.h \
	core/router/mounts.c core/router/mounts.h \
	core/router/registry.c core/router/registry.h
