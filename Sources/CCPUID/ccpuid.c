#define _GNU_SOURCE
#include "ccpuid.h"

#include <string.h>

#if defined(__linux__)
#include <sched.h>
#endif

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>

int bgpo_cpu_isa_level(void) {
    __builtin_cpu_init();
    // __builtin_cpu_supports also checks that the operating system saves the vector registers.
    if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")) {
        return bgpo_isa_avx512;
    }
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return bgpo_isa_avx2;
    if (__builtin_cpu_supports("avx")) return bgpo_isa_avx;
    return bgpo_isa_baseline;
}

int bgpo_cpu_has_avx512_bf16(void) {
    unsigned int eax, ebx, ecx, edx;
    // Leaf 7, sub-leaf 1: EAX bit 5 is AVX512_BF16.
    if (!__get_cpuid_count(7, 1, &eax, &ebx, &ecx, &edx)) return 0;
    return bgpo_cpu_isa_level() == bgpo_isa_avx512 && (eax & (1u << 5)) != 0;
}

int bgpo_cpu_brand(char *buffer, int size) {
    if (size <= 0) return 0;
    buffer[0] = '\0';
    unsigned int words[12];
    unsigned int highest = __get_cpuid_max(0x80000000u, 0);
    if (highest < 0x80000004u) return 0;
    for (unsigned int leaf = 0; leaf < 3; leaf++) {
        __get_cpuid(0x80000002u + leaf, &words[4 * leaf], &words[4 * leaf + 1], &words[4 * leaf + 2],
                    &words[4 * leaf + 3]);
    }
    char brand[49];
    memcpy(brand, words, 48);
    brand[48] = '\0';
    const char *start = brand;
    while (*start == ' ') start++;
    strncpy(buffer, start, (size_t)size - 1);
    buffer[size - 1] = '\0';
    return buffer[0] != '\0';
}

#else

int bgpo_cpu_isa_level(void) { return bgpo_isa_baseline; }
int bgpo_cpu_has_avx512_bf16(void) { return 0; }
int bgpo_cpu_brand(char *buffer, int size) {
    if (size > 0) buffer[0] = '\0';
    return 0;
}

#endif

int bgpo_affinity_cpu_count(void) {
#if defined(__linux__)
    cpu_set_t mask;
    if (sched_getaffinity(0, sizeof mask, &mask) == 0) return CPU_COUNT(&mask);
#endif
    return 0;
}
