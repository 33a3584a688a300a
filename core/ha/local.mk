# High availability: the cluster identity, the leader advertisement and the
# active/standby state machine.
noinst_LIBRARIES += libcfha.a
libcfha_a_SOURCES = core/ha/ha.c core/ha/ha.h core/ha/identity.c core/ha/identity.h \
	core/ha/advertise.c core/ha/advertise.h

CF_HA_TEST_LIBS = libcfha.a libcfseal.a libcfplugin.a libcfconfig.a libcfrequest.a libcfutil.a $(CUNIT_LIBS) $(CF_CORE_LIBS)
check_PROGRAMS += test/unit/test_identity test/unit/test_advertise
TESTS += test/unit/test_identity test/unit/test_advertise

test_unit_test_identity_SOURCES = test/unit/test_identity.c
test_unit_test_identity_LDADD = $(CF_HA_TEST_LIBS)
test_unit_test_identity_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)

test_unit_test_advertise_SOURCES = test/unit/test_advertise.c
test_unit_test_advertise_LDADD = $(CF_HA_TEST_LIBS)
test_unit_test_advertise_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS)
