#include "attention.h"

#if defined(__x86_64__)
#include <immintrin.h>

#include "f32gemm.h"
#include "tiles.h"
#include "vectormath.h"

#define NR bgpo_f32_panel /* keys per packed key panel, head dimensions per packed value panel */

/* row[0..<n] = softmax(scale * row), keys whose mask byte is 0 excluded (probability 0); an
 * all-padding row becomes all zeros, a row with a NaN score all NaN. */
__attribute__((target("avx512f,avx512bw,avx512vl")))
static void softmax_row(float *row, int n, float scale, const unsigned char *mask) {
    const __m512 minus_inf = _mm512_set1_ps(-__builtin_inff());
    __m512 top = minus_inf;
    for (int j = 0; j < n; j += 16) {
        __mmask16 lanes = bgpo_lanes16((size_t)j, (size_t)n);
        __m512 x = _mm512_mul_ps(_mm512_maskz_loadu_ps(lanes, row + j), _mm512_set1_ps(scale));
        if (mask) {
            __m512i bytes = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(lanes, mask + j));
            x = _mm512_mask_blend_ps(_mm512_cmpeq_epi32_mask(bytes, _mm512_setzero_si512()), x, minus_inf);
        }
        _mm512_mask_storeu_ps(row + j, lanes, x);
        top = _mm512_mask_max_ps(top, lanes, top, x);
    }
    float m = _mm512_reduce_max_ps(top);
    if (m == -__builtin_inff()) {
        /* No key above -inf: all padding (zeros), or NaN scores (NaN, as a partly NaN row gets). */
        int nan = 0;
        for (int j = 0; j < n; j++) nan |= row[j] != row[j];
        for (int j = 0; j < n; j++) row[j] = nan ? __builtin_nanf("") : 0.0f;
        return;
    }
    __m512 sum = _mm512_setzero_ps(), shift = _mm512_set1_ps(m);
    for (int j = 0; j < n; j += 16) {
        __mmask16 lanes = bgpo_lanes16((size_t)j, (size_t)n);
        __m512 e = bgpo_exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(lanes, row + j), shift));
        _mm512_mask_storeu_ps(row + j, lanes, e);
        sum = _mm512_mask_add_ps(sum, lanes, sum, e);
    }
    __m512 inverse = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(sum));
    for (int j = 0; j < n; j += 16) {
        __mmask16 lanes = bgpo_lanes16((size_t)j, (size_t)n);
        _mm512_mask_storeu_ps(row + j, lanes, _mm512_mul_ps(_mm512_maskz_loadu_ps(lanes, row + j), inverse));
    }
}

__attribute__((target("avx512f,avx512bw,avx512vl")))
void bgpo_f32_attention_head(const float *q, int queries, size_t ldq, const float *keys, const float *values, int seq,
                             int head_dim, float scale, const unsigned char *key_mask, float *probs, float *rows_scratch,
                             float *out, size_t ldo) {
    int key_panels = (seq + NR - 1) / NR, value_panels = (head_dim + NR - 1) / NR;
    /* Six query rows at a time: their scores against every key, their softmax, then their outputs,
     * the rows' probabilities still in L1 (in `probs`, or in `rows_scratch` when they are not kept). */
#define SCORES_AND_OUTPUTS(rows, i)                                                                            \
    do {                                                                                                       \
        float *p = probs ? probs + (size_t)(i) * seq : rows_scratch;                                           \
        for (int panel = 0; panel < key_panels; panel++)                                                       \
            bgpo_f32_tile(rows, head_dim, q + (size_t)(i) * ldq, ldq, keys + (size_t)panel * head_dim * NR,    \
                          p + panel * NR, seq, seq - panel * NR < NR ? seq - panel * NR : NR, NULL);           \
        for (int r = 0; r < (rows); r++) softmax_row(p + (size_t)r * seq, seq, scale, key_mask);               \
        for (int panel = 0; panel < value_panels; panel++)                                                     \
            bgpo_f32_tile(rows, seq, p, seq, values + (size_t)panel * seq * NR, out + (size_t)(i) * ldo + panel * NR, \
                          ldo, head_dim - panel * NR < NR ? head_dim - panel * NR : NR, NULL);                 \
    } while (0)
    int i = 0;
    for (; i + 6 <= queries; i += 6) SCORES_AND_OUTPUTS(6, i);
    switch (queries - i) {
    case 5: SCORES_AND_OUTPUTS(5, i); break;
    case 4: SCORES_AND_OUTPUTS(4, i); break;
    case 3: SCORES_AND_OUTPUTS(3, i); break;
    case 2: SCORES_AND_OUTPUTS(2, i); break;
    case 1: SCORES_AND_OUTPUTS(1, i); break;
    default: break;
    }
#undef SCORES_AND_OUTPUTS
}

#else /* not x86-64: no kernels; callers check the CPU first */

void bgpo_f32_attention_head(const float *q, int queries, size_t ldq, const float *keys, const float *values, int seq,
                             int head_dim, float scale, const unsigned char *key_mask, float *probs, float *rows_scratch,
                             float *out, size_t ldo) {
    (void)q; (void)queries; (void)ldq; (void)keys; (void)values; (void)seq; (void)head_dim; (void)scale;
    (void)key_mask; (void)probs; (void)rows_scratch; (void)out; (void)ldo;
}
#endif
