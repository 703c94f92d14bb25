#include "elementwise.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include "vectormath.h"

/* sigmoid(g) = 1 / (1 + e^-g). */
__attribute__((always_inline, target("avx512f")))
static inline __m512 sigmoid16(__m512 g) {
    const __m512 one = _mm512_set1_ps(1.0f);
    return _mm512_div_ps(one, _mm512_add_ps(one, bgpo_exp16(_mm512_sub_ps(_mm512_setzero_ps(), g))));
}

__attribute__((target("avx512f")))
void bgpo_f32_swiglu_forward(const float *gate, const float *up, float *out, size_t count) {
    for (size_t j = 0; j < count; j += 16) {
        __mmask16 lanes = bgpo_lanes16(j, count);
        __m512 g = _mm512_maskz_loadu_ps(lanes, gate + j);
        __m512 silu = _mm512_mul_ps(g, sigmoid16(g));
        _mm512_mask_storeu_ps(out + j, lanes, _mm512_mul_ps(silu, _mm512_maskz_loadu_ps(lanes, up + j)));
    }
}

__attribute__((target("avx512f")))
void bgpo_f32_swiglu_backward(const float *gate, const float *up, const float *d_out, float *d_gate, float *d_up,
                              size_t count, int accumulate) {
    const __m512 one = _mm512_set1_ps(1.0f);
    for (size_t j = 0; j < count; j += 16) {
        __mmask16 lanes = bgpo_lanes16(j, count);
        __m512 g = _mm512_maskz_loadu_ps(lanes, gate + j), d = _mm512_maskz_loadu_ps(lanes, d_out + j);
        __m512 s = sigmoid16(g);
        /* d_gate (+)= d * up * s * (1 + g * (1 - s)); d_up (+)= d * g * s */
        __m512 slope = _mm512_mul_ps(s, _mm512_add_ps(one, _mm512_mul_ps(g, _mm512_sub_ps(one, s))));
        __m512 dg = _mm512_mul_ps(_mm512_mul_ps(d, _mm512_maskz_loadu_ps(lanes, up + j)), slope);
        __m512 du = _mm512_mul_ps(d, _mm512_mul_ps(g, s));
        if (accumulate) {
            dg = _mm512_add_ps(_mm512_maskz_loadu_ps(lanes, d_gate + j), dg);
            du = _mm512_add_ps(_mm512_maskz_loadu_ps(lanes, d_up + j), du);
        }
        _mm512_mask_storeu_ps(d_gate + j, lanes, dg);
        _mm512_mask_storeu_ps(d_up + j, lanes, du);
    }
}

#else /* not x86-64: no kernels; callers check the CPU first */

void bgpo_f32_swiglu_forward(const float *gate, const float *up, float *out, size_t count) {
    (void)gate; (void)up; (void)out; (void)count;
}
void bgpo_f32_swiglu_backward(const float *gate, const float *up, const float *d_out, float *d_gate, float *d_up,
                              size_t count, int accumulate) {
    (void)gate; (void)up; (void)d_out; (void)d_gate; (void)d_up; (void)count; (void)accumulate;
}
#endif
