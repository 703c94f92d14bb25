#include "cpeak.h"

#if defined(__x86_64__)
#include <immintrin.h>

// One function per width, generated from one text. The accumulators are named locals, not an
// array, so they live in registers; the loop's only instructions besides the counter are the 12
// independent vfmadd...ps (checked with objdump). The final sum is stored through `checksum`, so
// the compiler cannot drop the loop.
#define BGPO_FMA_LOOP(name, features, vector, lanes, set1, fmadd, add, storeu)                      \
    __attribute__((target(features))) static int64_t name(int64_t iterations, float *checksum) {  \
        const vector a = set1(0.999999f), b = set1(1e-6f);                                        \
        vector c0 = set1(0.00f), c1 = set1(0.01f), c2 = set1(0.02f), c3 = set1(0.03f);             \
        vector c4 = set1(0.04f), c5 = set1(0.05f), c6 = set1(0.06f), c7 = set1(0.07f);             \
        vector c8 = set1(0.08f), c9 = set1(0.09f), c10 = set1(0.10f), c11 = set1(0.11f);           \
        for (int64_t i = 0; i < iterations; i++) {                                                \
            c0 = fmadd(c0, a, b); c1 = fmadd(c1, a, b); c2 = fmadd(c2, a, b);                      \
            c3 = fmadd(c3, a, b); c4 = fmadd(c4, a, b); c5 = fmadd(c5, a, b);                      \
            c6 = fmadd(c6, a, b); c7 = fmadd(c7, a, b); c8 = fmadd(c8, a, b);                      \
            c9 = fmadd(c9, a, b); c10 = fmadd(c10, a, b); c11 = fmadd(c11, a, b);                  \
        }                                                                                         \
        vector sum = add(add(add(c0, c1), add(c2, c3)), add(add(c4, c5), add(c6, c7)));            \
        sum = add(sum, add(add(c8, c9), add(c10, c11)));                                          \
        float values[lanes];                                                                      \
        storeu(values, sum);                                                                      \
        float total = 0;                                                                          \
        for (int k = 0; k < lanes; k++) total += values[k];                                       \
        *checksum = total;                                                                        \
        return iterations * bgpo_fma_chains * lanes * 2;                                          \
    }

_Static_assert(bgpo_fma_chains == 12, "BGPO_FMA_LOOP spells out 12 chains");

BGPO_FMA_LOOP(fma_run_256, "avx2,fma", __m256, 8, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps, _mm256_storeu_ps)
BGPO_FMA_LOOP(fma_run_512, "avx512f", __m512, 16, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps, _mm512_storeu_ps)

// The same loop with bfloat16 dot products (VDPBF16PS zmm): each chain adds the products of a pair of
// bfloat16 values per lane, c += a.b[2k] + a.b[2k+1], 4 flops per lane. a and b are 2^-10 in
// bfloat16, so every chain grows by 2^-19 per iteration and stays finite for 2^40 iterations.
__attribute__((target("avx512f,avx512bf16"))) static int64_t dpbf16_run_512(int64_t iterations, float *checksum) {
    const __m512bh a = _mm512_cvtne2ps_pbh(_mm512_set1_ps(0x1p-10f), _mm512_set1_ps(0x1p-10f));
    __m512 c0 = _mm512_set1_ps(0.00f), c1 = _mm512_set1_ps(0.01f), c2 = _mm512_set1_ps(0.02f), c3 = _mm512_set1_ps(0.03f);
    __m512 c4 = _mm512_set1_ps(0.04f), c5 = _mm512_set1_ps(0.05f), c6 = _mm512_set1_ps(0.06f), c7 = _mm512_set1_ps(0.07f);
    __m512 c8 = _mm512_set1_ps(0.08f), c9 = _mm512_set1_ps(0.09f), c10 = _mm512_set1_ps(0.10f), c11 = _mm512_set1_ps(0.11f);
    for (int64_t i = 0; i < iterations; i++) {
        c0 = _mm512_dpbf16_ps(c0, a, a); c1 = _mm512_dpbf16_ps(c1, a, a); c2 = _mm512_dpbf16_ps(c2, a, a);
        c3 = _mm512_dpbf16_ps(c3, a, a); c4 = _mm512_dpbf16_ps(c4, a, a); c5 = _mm512_dpbf16_ps(c5, a, a);
        c6 = _mm512_dpbf16_ps(c6, a, a); c7 = _mm512_dpbf16_ps(c7, a, a); c8 = _mm512_dpbf16_ps(c8, a, a);
        c9 = _mm512_dpbf16_ps(c9, a, a); c10 = _mm512_dpbf16_ps(c10, a, a); c11 = _mm512_dpbf16_ps(c11, a, a);
    }
    __m512 sum = _mm512_add_ps(_mm512_add_ps(_mm512_add_ps(c0, c1), _mm512_add_ps(c2, c3)),
                               _mm512_add_ps(_mm512_add_ps(c4, c5), _mm512_add_ps(c6, c7)));
    sum = _mm512_add_ps(sum, _mm512_add_ps(_mm512_add_ps(c8, c9), _mm512_add_ps(c10, c11)));
    *checksum = _mm512_reduce_add_ps(sum);
    return iterations * bgpo_fma_chains * 16 * 4;
}

int bgpo_dpbf16_supported(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bf16");
}

int64_t bgpo_dpbf16_run(int64_t iterations, float *checksum) {
    if (iterations < 0 || !bgpo_dpbf16_supported()) return 0;
    return dpbf16_run_512(iterations, checksum);
}

int bgpo_fma_supported(int bits) {
    __builtin_cpu_init();
    switch (bits) {
    case 256: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case 512: return __builtin_cpu_supports("avx512f");
    default: return 0;
    }
}

int64_t bgpo_fma_run(int bits, int64_t iterations, float *checksum) {
    if (iterations < 0 || !bgpo_fma_supported(bits)) return 0;
    return bits == 512 ? fma_run_512(iterations, checksum) : fma_run_256(iterations, checksum);
}

#else

int bgpo_fma_supported(int bits) {
    (void)bits;
    return 0;
}

int64_t bgpo_fma_run(int bits, int64_t iterations, float *checksum) {
    (void)bits, (void)iterations, (void)checksum;
    return 0;
}

int bgpo_dpbf16_supported(void) { return 0; }

int64_t bgpo_dpbf16_run(int64_t iterations, float *checksum) {
    (void)iterations, (void)checksum;
    return 0;
}

#endif
