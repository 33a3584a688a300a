# The gate: sealed → 503, standby → forward or 307; request forwarding.
coffer_SOURCES += core/gate/forward.c core/gate/forward.h
