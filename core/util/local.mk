noinst_LIBRARIES += libcfutil.a
libcfutil_a_SOURCES = core/util/buf.c core/util/buf.h core/util/secret.c \
	core/util/secret.h core/util/encode.c core/util/encode.h core/util/json.c \
	core/util/json.h core/util/log.c core/util/log.h core/util/timeutil.c \
	core/util/timeutil.h core/util/errors.c core/util/errors.h core/request.c core/request.h
libcfutil_a_SOURCES += core/physical.c core/physical.h
