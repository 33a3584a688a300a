# The system backend (sys/...): one route table (sys.c) and a file per area.
noinst_LIBRARIES += libcfsys.a
libcfsys_a_SOURCES = core/sys/sys.c core/sys/sys.h core/sys/sys_internal.h \
	core/sys/sys_seal.c core/sys/sys_health.c core/sys/sys_mounts.c \
	core/sys/sys_capabilities.c core/sys/sys_policy.c
