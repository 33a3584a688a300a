/* An in-process storage backend for unit tests of the layers above the
 * physical one (barrier, engines, token store). The storage plugins
 * themselves are tested through the conformance suite. */
#ifndef CF_TEST_MEM_STORAGE_H
#define CF_TEST_MEM_STORAGE_H

#include "plugin/physical.h"

/* A fresh, empty physical store; free with cf_physical_free. */
int cf_test_mem_physical(struct cf_physical **out);
/* The same, and *fail_puts: while the int it points at is non-zero, every
 * put fails with CF_EIO (a full or broken disk). Valid until the store is
 * freed. */
int cf_test_mem_physical_ex(struct cf_physical **out, int **fail_puts);

#endif
