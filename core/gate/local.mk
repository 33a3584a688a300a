# The gate: sealed → 503, standby → forward or 307, the shared state
# section around the router; and the request forwarder it hands standbys.
noinst_LIBRARIES += libcfgate.a
libcfgate_a_SOURCES = core/gate/gate.c core/gate/gate.h \
	core/gate/forward.c core/gate/forward.h

check_PROGRAMS += test/unit/test_gate
TESTS += test/unit/test_gate
test_unit_test_gate_SOURCES = test/unit/test_gate.c
test_unit_test_gate_LDADD = libcfgate.a libcfha.a libcfseal.a libcfplugin.a libcfconfig.a \
	libcfrequest.a libcfutil.a $(CUNIT_LIBS) $(CF_CORE_LIBS)
test_unit_test_gate_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
