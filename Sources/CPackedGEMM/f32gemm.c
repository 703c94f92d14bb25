#include "f32gemm.h"

#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

#include "tiles.h"

#define NR bgpo_f32_panel /* output columns per panel: 4 zmm of 16 */
#define KC_MAX 768        /* k per block at most; k is cut into equal blocks no longer than this */
#define MC 96             /* rows per block: 96 x 768 floats of a, 288 KiB, stay in L2 */

size_t bgpo_f32_packed_count(int n, int k) {
    return (size_t)((n + NR - 1) / NR) * (size_t)k * NR;
}

void bgpo_f32_pack(const float *w, int n, int k, size_t ldw, float *packed) {
    /* Panel by panel, written in order; the panel's rows of w are read 16 inputs (a cache line) at a time. */
    for (int panel = 0; panel * NR < n; panel++) {
        int cols = n - panel * NR < NR ? n - panel * NR : NR;
        float *out = packed + (size_t)panel * k * NR;
        const float *rows = w + (size_t)panel * NR * ldw;
        for (int i = 0; i < k; i++) {
            for (int j = 0; j < cols; j++) out[(size_t)i * NR + j] = rows[(size_t)j * ldw + i];
            for (int j = cols; j < NR; j++) out[(size_t)i * NR + j] = 0;
        }
    }
}

void bgpo_f32_pack_transposed(const float *w, int n, int k, size_t ldw, float *packed) {
    /* Row i of w holds input i's values for every output column: each panel's slice is a copy. */
    for (int panel = 0; panel * NR < n; panel++) {
        int cols = n - panel * NR < NR ? n - panel * NR : NR;
        float *out = packed + (size_t)panel * k * NR;
        for (int i = 0; i < k; i++) {
            memcpy(out + (size_t)i * NR, w + (size_t)i * ldw + (size_t)panel * NR, (size_t)cols * sizeof(float));
            memset(out + (size_t)i * NR + cols, 0, (size_t)(NR - cols) * sizeof(float));
        }
    }
}

__attribute__((target("avx512f")))
void bgpo_f32_gemm_panels(const float *a, int m, int k, const float *packed, int n, float *y, int accumulate,
                          int first_panel, int end_panel) {
    int blocks = (k + KC_MAX - 1) / KC_MAX, per = (k + blocks - 1) / blocks;
#define F32_TILE(rows, row, panel, kc, depth, add)                                                              \
    bgpo_f32_tile(rows, depth, a + (size_t)(row) * k + (kc), k, packed + ((size_t)(panel) * k + (kc)) * NR,     \
         y + (size_t)(row) * n + (panel) * NR, n, n - (panel) * NR < NR ? n - (panel) * NR : NR, add)
    BGPO_FOR_EACH_TILE(m, k, per, MC, first_panel, end_panel, accumulate, F32_TILE)
#undef F32_TILE
}

/* e^x for 16 lanes: Cephes' range reduction x = n ln 2 + r, |r| <= ln 2 / 2, a degree-6 polynomial
 * for e^r and 2^n built in the exponent bits (Kernels' vectorExp, with fused multiply-adds);
 * 0 below -87.33 (so e^-inf = 0), e^88 above 88. */
__attribute__((always_inline, target("avx512f")))
static inline __m512 exp16(__m512 x) {
    const __m512 low = _mm512_set1_ps(-87.33f), magic = _mm512_set1_ps(12582912.0f); /* 1.5 * 2^23 */
    __m512 c = _mm512_min_ps(_mm512_max_ps(x, low), _mm512_set1_ps(88.0f));
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
    __m512i exponent = _mm512_sub_epi32(_mm512_castps_si512(t), _mm512_castps_si512(magic));
    __m512 two_n = _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(exponent, _mm512_set1_epi32(127)), 23));
    return _mm512_maskz_mul_ps(_mm512_cmp_ps_mask(x, low, _CMP_GE_OQ), p, two_n);
}

/* The lanes of the 16 elements from `j` of a row of `n`. */
static inline __mmask16 lanes16(int j, int n) {
    return n - j >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << (n - j)) - 1);
}

/* row[0..<n] = softmax(scale * row), keys whose mask byte is 0 excluded (probability 0); an
 * all-padding row becomes all zeros. */
__attribute__((target("avx512f,avx512bw,avx512vl")))
static void softmax_row(float *row, int n, float scale, const unsigned char *mask) {
    const __m512 minus_inf = _mm512_set1_ps(-__builtin_inff());
    __m512 top = minus_inf;
    for (int j = 0; j < n; j += 16) {
        __mmask16 lanes = lanes16(j, n);
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
        memset(row, 0, (size_t)n * sizeof(float));
        return;
    }
    __m512 sum = _mm512_setzero_ps(), shift = _mm512_set1_ps(m);
    for (int j = 0; j < n; j += 16) {
        __mmask16 lanes = lanes16(j, n);
        __m512 e = exp16(_mm512_sub_ps(_mm512_maskz_loadu_ps(lanes, row + j), shift));
        _mm512_mask_storeu_ps(row + j, lanes, e);
        sum = _mm512_mask_add_ps(sum, lanes, sum, e);
    }
    __m512 inverse = _mm512_set1_ps(1.0f / _mm512_reduce_add_ps(sum));
    for (int j = 0; j < n; j += 16) {
        __mmask16 lanes = lanes16(j, n);
        _mm512_mask_storeu_ps(row + j, lanes, _mm512_mul_ps(_mm512_maskz_loadu_ps(lanes, row + j), inverse));
    }
}

__attribute__((target("avx512f,avx512bw,avx512vl")))
void bgpo_f32_attention_head(const float *q, int queries, size_t ldq, const float *keys, const float *values, int seq,
                             int head_dim, float scale, const unsigned char *key_mask, float *probs, float *out,
                             size_t ldo) {
    int key_panels = (seq + NR - 1) / NR, value_panels = (head_dim + NR - 1) / NR;
    /* Six query rows at a time: their scores against every key, their softmax, then their outputs,
     * the rows' probabilities still in L1. */
#define SCORES_AND_OUTPUTS(rows, i)                                                                            \
    do {                                                                                                       \
        float *p = probs + (size_t)(i) * seq;                                                                  \
        for (int panel = 0; panel < key_panels; panel++)                                                       \
            bgpo_f32_tile(rows, head_dim, q + (size_t)(i) * ldq, ldq, keys + (size_t)panel * head_dim * NR,    \
                          p + panel * NR, seq, seq - panel * NR < NR ? seq - panel * NR : NR, 0);              \
        for (int r = 0; r < (rows); r++) softmax_row(p + (size_t)r * seq, seq, scale, key_mask);               \
        for (int panel = 0; panel < value_panels; panel++)                                                     \
            bgpo_f32_tile(rows, seq, p, seq, values + (size_t)panel * seq * NR, out + (size_t)(i) * ldo + panel * NR, \
                          ldo, head_dim - panel * NR < NR ? head_dim - panel * NR : NR, 0);                    \
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

size_t bgpo_f32_packed_count(int n, int k) { (void)n; (void)k; return 0; }
void bgpo_f32_pack(const float *w, int n, int k, size_t ldw, float *packed) {
    (void)w; (void)n; (void)k; (void)ldw; (void)packed;
}
void bgpo_f32_pack_transposed(const float *w, int n, int k, size_t ldw, float *packed) {
    (void)w; (void)n; (void)k; (void)ldw; (void)packed;
}
void bgpo_f32_gemm_panels(const float *a, int m, int k, const float *packed, int n, float *y, int accumulate,
                          int first_panel, int end_panel) {
    (void)a; (void)m; (void)k; (void)packed; (void)n; (void)y; (void)accumulate; (void)first_panel; (void)end_panel;
}
void bgpo_f32_attention_head(const float *q, int queries, size_t ldq, const float *keys, const float *values, int seq,
                             int head_dim, float scale, const unsigned char *key_mask, float *probs, float *out,
                             size_t ldo) {
    (void)q; (void)queries; (void)ldq; (void)keys; (void)values; (void)seq; (void)head_dim; (void)scale;
    (void)key_mask; (void)probs; (void)out; (void)ldo;
}
#endif
