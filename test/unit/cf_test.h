/* Shared by the CUnit suites: assertions that print both values, and a main
 * that turns failures into the exit status (CU_basic_run_tests returns 0
 * even when tests fail). */
#ifndef CF_TEST_H
#define CF_TEST_H

#include <CUnit/Basic.h>
#include <stdio.h>
#include <string.h>

#define CF_ASSERT_INT_EQ(a, b)                                                           \
    do {                                                                                 \
        long long a_ = (long long)(a), b_ = (long long)(b);                              \
        char m_[256];                                                                    \
        snprintf(m_, sizeof m_, "%s == %s (%lld vs %lld)", #a, #b, a_, b_);              \
        CU_assertImplementation(a_ == b_, __LINE__, m_, __FILE__, "", CU_FALSE);         \
    } while (0)

#define CF_ASSERT_STR_EQ(a, b)                                                           \
    do {                                                                                 \
        const char *a_ = (a), *b_ = (b);                                                 \
        char m_[1024];                                                                   \
        snprintf(m_, sizeof m_, "%s == %s (\"%.200s\" vs \"%.200s\")", #a, #b,           \
                 a_ ? a_ : "(null)", b_ ? b_ : "(null)");                                \
        CU_assertImplementation(a_ &&b_ &&strcmp(a_, b_) == 0, __LINE__, m_, __FILE__,   \
                                "", CU_FALSE);                                           \
    } while (0)

#define CF_ASSERT_CONTAINS(hay, needle)                                                  \
    do {                                                                                 \
        const char *h_ = (hay), *n_ = (needle);                                          \
        char m_[512];                                                                    \
        snprintf(m_, sizeof m_, "%s contains \"%.100s\" (got \"%.300s\")", #hay, n_,     \
                 h_ ? h_ : "(null)");                                                    \
        CU_assertImplementation(h_ &&strstr(h_, n_) != NULL, __LINE__, m_, __FILE__, "", \
                                CU_FALSE);                                               \
    } while (0)

struct cf_test_case {
    const char *name;
    void (*fn)(void);
};

/* Runs one suite of cases; returns the process exit status. */
static inline int cf_test_run(const char *suite, const struct cf_test_case *cases)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    CU_pSuite s = CU_add_suite(suite, NULL, NULL);
    for (const struct cf_test_case *c = cases; c->name; c++)
        CU_add_test(s, c->name, c->fn);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_tests_failed();
    unsigned fails = CU_get_number_of_failures();
    CU_cleanup_registry();
    return failed || fails ? 1 : 0;
}

#endif
