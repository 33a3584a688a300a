# What flows between the layers: cf_request / cf_result, and the contract a
# backend (secrets engine, auth method, sys) offers the router.
noinst_LIBRARIES += libcfrequest.a
libcfrequest_a_SOURCES = core/request/request.c core/request/request.h \
	core/request/backend.h
