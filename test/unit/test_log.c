/* The logger: one line per call, whatever the message quotes (F17: a path
 * with %0a must not forge a second log line). */
#include "cf_test.h"
#include "util/encode.h"
#include "util/log.h"
#include <stdlib.h>

static void test_one_line(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    CU_ASSERT_FATAL(f != NULL);
    struct cf_logger l = {CF_LOG_INFO, f};
    cf_log(&l, CF_LOG_ERROR, "request to %s failed",
           "secret/x\n2026-01-01 [info] forged\r\x7f");
    fclose(f);
    CF_ASSERT_CONTAINS(buf, "request to secret/x?2026-01-01 [info] forged?? failed\n");
    size_t lines = 0;
    for (char *c = buf; *c; c++)
        lines += *c == '\n';
    CF_ASSERT_INT_EQ(lines, 1);
    free(buf);
}

static void test_str_oneline(void)
{
    char s[] = "a\tb\x01"
               "c";
    cf_str_oneline(s);
    CF_ASSERT_STR_EQ(s, "a?b?c");
    cf_str_oneline(NULL); /* no-op */
}

int main(void)
{
    static const struct cf_test_case cases[] = {
        {"log line stays one line", test_one_line},
        {"cf_str_oneline", test_str_oneline},
        {NULL, NULL},
    };
    return cf_test_run("log", cases);
}
