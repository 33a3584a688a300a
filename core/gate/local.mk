# The gate: sealed → 503, standby → forward or 307, the shared state
# section around the router; and the request forwarder it hands standbys.
noinst_LIBRARIES += libcfgate.a
libcfgate_a_SOURCES = core/gate/gate.c core/gate/gate.h \
	core/gate/forward.c core/gate/forward.h
