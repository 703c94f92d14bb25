#ifndef BGPO_FUZZ_DRIVER_H
#define BGPO_FUZZ_DRIVER_H
#include <stddef.h>
#include <stdint.h>

/// libFuzzer's entry point for programs with their own main: parses the libFuzzer flags in argv and
/// runs `callback` on each generated input (provided by -sanitize=fuzzer's runtime).
int LLVMFuzzerRunDriver(int *argc, char ***argv, int (*callback)(const uint8_t *data, size_t size));

#endif
