/* What a fuzz target provides. Each test/fuzz/fuzz_<name>.c defines
 * LLVMFuzzerTestOneInput and names itself with CF_FUZZ_TARGET. Built alone
 * with clang -fsanitize=fuzzer it is a libFuzzer target; linked with
 * standalone.c (what `make check` does) it replays test/fuzz/seeds/<name>/
 * and a fixed series of mutations, so every check run fuzzes a little. */
#ifndef CF_FUZZ_H
#define CF_FUZZ_H

#include <stddef.h>
#include <stdint.h>

struct cf_fuzz_target {
    const char *name; /* also the seed folder */
    const char *dict; /* bytes the mutator favours */
    size_t dict_len;
};

/* dict must be a string literal; it may hold NUL bytes. */
#define CF_FUZZ_TARGET(name, dict)                                                       \
    const struct cf_fuzz_target cf_fuzz_target = {name, dict, sizeof dict - 1}

extern const struct cf_fuzz_target cf_fuzz_target;
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
