// Vector math shared by the AVX-512 kernels (attention.c, elementwise.c, f32gemm.c; x86-64 only).
#ifndef BGPO_VECTORMATH_H
#define BGPO_VECTORMATH_H

#include <stddef.h>
#include <immintrin.h>

/* e^x for 16 lanes: Cephes' range reduction x = n ln 2 + r, |r| <= ln 2 / 2, a degree-6 polynomial
 * for e^r (Kernels' vectorExp, with fused multiply-adds), times 2^n by scalef. Equal to vectorExp
 * for -87.33 <= x <= 88; below, the subnormal e^x, 0 from -103.97 on (e^-inf = 0), where vectorExp
 * gives 0; above 88.72, inf (e^88 from vectorExp); NaN for NaN. */
__attribute__((always_inline, target("avx512f")))
static inline __m512 bgpo_exp16(__m512 x) {
    const __m512 magic = _mm512_set1_ps(12582912.0f); /* 1.5 * 2^23 */
    /* max and min return their second operand when one is NaN: NaN goes through. */
    __m512 c = _mm512_min_ps(_mm512_set1_ps(89.0f), _mm512_max_ps(_mm512_set1_ps(-110.0f), x));
    __m512 t = _mm512_fmadd_ps(c, _mm512_set1_ps(1.44269504f), magic); /* n + magic, n = round(x / ln 2) */
    __m512 n = _mm512_sub_ps(t, magic);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), c);
    r = _mm512_fmadd_ps(n, _mm512_set1_ps(2.1219444e-4f), r);
    __m512 p = _mm512_set1_ps(1.98756915e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.39819995e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.16657959e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.66666655e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001e-1f));
    p = _mm512_add_ps(_mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r), _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n);
}

/* The lanes of the (at most 16) elements from `j` of `n`. */
static inline __mmask16 bgpo_lanes16(size_t j, size_t n) {
    return n - j >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - j)) - 1);
}

#endif
