# The API listener (libmicrohttpd + GnuTLS): HTTP ⇄ cf_request / cf_result.
noinst_LIBRARIES += libcfhttp.a
libcfhttp_a_SOURCES = core/http/listener.c core/http/listener.h \
	core/http/request_parse.c core/http/request_parse.h \
	core/http/envelope.c core/http/envelope.h \
	core/http/tls.c core/http/tls.h \
	core/http/fwd_codec.c core/http/fwd_codec.h

# cf_test.h's 512-byte message buffer trips -Wformat-truncation on long
# expected strings; drop the flag once cf_test.h grows it.
check_PROGRAMS += test/unit/test_envelope test/unit/test_listener
TESTS += test/unit/test_envelope test/unit/test_listener
test_unit_test_envelope_SOURCES = test/unit/test_envelope.c
test_unit_test_envelope_LDADD = libcfhttp.a libcfrequest.a libcfutil.a $(CUNIT_LIBS) $(CF_CORE_LIBS)
test_unit_test_envelope_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) -Wno-format-truncation
test_unit_test_listener_SOURCES = test/unit/test_listener.c
test_unit_test_listener_LDADD = libcfhttp.a libcfrequest.a libcfutil.a $(CUNIT_LIBS) $(CF_CORE_LIBS)
test_unit_test_listener_CFLAGS = $(AM_CFLAGS) $(CUNIT_CFLAGS) -Wno-format-truncation

# Seeds and mutations of test/fuzz/seeds/{form,path} in `make check`
# (fuzz.h): the form decoder and the URL → path router.
check_PROGRAMS += test/fuzz/fuzz_form test/fuzz/fuzz_path
TESTS += test/fuzz/fuzz_form test/fuzz/fuzz_path
test_fuzz_fuzz_form_SOURCES = test/fuzz/fuzz_form.c test/fuzz/standalone.c test/fuzz/fuzz.h
test_fuzz_fuzz_form_LDADD = libcfhttp.a libcfrequest.a libcfutil.a $(CF_CORE_LIBS)
test_fuzz_fuzz_form_CFLAGS = $(AM_CFLAGS)
test_fuzz_fuzz_path_SOURCES = test/fuzz/fuzz_path.c test/fuzz/standalone.c test/fuzz/fuzz.h
test_fuzz_fuzz_path_LDADD = libcfhttp.a libcfrequest.a libcfutil.a $(CF_CORE_LIBS)
test_fuzz_fuzz_path_CFLAGS = $(AM_CFLAGS)
