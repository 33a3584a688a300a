# The router: token → mount → ACL → backend, over the mount table.
coffer_SOURCES = core/router/router.c core/router/mounts.c core/router/mounts.h
