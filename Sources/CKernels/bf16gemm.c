#include "bf16gemm.h"

#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

#include "tiles.h"

#define NR bgpo_bf16_panel /* output columns per panel: 4 zmm of 16 */
#define KC 256             /* k per block: a panel's 64 x 256 bf16 slice is 32 KiB, in L1 */
#define MC 96              /* rows per block */

/* Nearest even (the inputs are finite). */
static uint16_t bf16_of(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

size_t bgpo_bf16_packed_count(int n, int k) {
    size_t panels = (size_t)(n + NR - 1) / NR;
    return panels * (size_t)(bgpo_bf16_padded(k) / 2) * NR * 2;
}

/* The packed index of element (row j, column i) of W: panel j / NR, k pair i / 2. */
static size_t packed_index(int j, int i, int k) {
    size_t pairs = (size_t)bgpo_bf16_padded(k) / 2;
    return ((size_t)(j / NR) * pairs + (size_t)(i / 2)) * (NR * 2) + (size_t)(j % NR) * 2 + (size_t)(i & 1);
}

void bgpo_bf16_pack_f32(const float *w, int n, int k, uint16_t *packed) {
    memset(packed, 0, bgpo_bf16_packed_count(n, k) * sizeof(uint16_t));
    for (int j = 0; j < n; j++)
        for (int i = 0; i < k; i++) packed[packed_index(j, i, k)] = bf16_of(w[(size_t)j * k + i]);
}

void bgpo_bf16_pack_bf16(const uint16_t *w, int n, int k, uint16_t *packed) {
    memset(packed, 0, bgpo_bf16_packed_count(n, k) * sizeof(uint16_t));
    for (int j = 0; j < n; j++)
        for (int i = 0; i < k; i++) packed[packed_index(j, i, k)] = w[(size_t)j * k + i];
}

__attribute__((target("avx512f,avx512bw,avx512bf16")))
void bgpo_bf16_convert_rows(const float *x, int m, int k, uint16_t *out) {
    int kp = bgpo_bf16_padded(k);
    for (int r = 0; r < m; r++) {
        const float *src = x + (size_t)r * k;
        uint16_t *dst = out + (size_t)r * kp;
        int i = 0;
        for (; i + 32 <= k; i += 32) {
            __m512 lo = _mm512_loadu_ps(src + i), hi = _mm512_loadu_ps(src + i + 16);
            _mm512_storeu_si512((void *)(dst + i), (__m512i)_mm512_cvtne2ps_pbh(hi, lo));
        }
        for (; i < k; i++) dst[i] = bf16_of(src[i]);
        if (kp > k) dst[k] = 0;
    }
}

/* C[rows, cols] = addend + A[rows, 2 * pairs] . B-panel (addend as tiles.h's bgpo_store_tile's), rows
 * <= 6 (tiles.h: 6 x 4 accumulators), cols <= NR. */
__attribute__((always_inline, target("avx512f,avx512bw,avx512bf16")))
static inline void tile(const int rows, int pairs, const uint16_t *a, size_t lda, const uint16_t *b, float *c,
                        size_t ldc, int cols, const float *addend) {
    bgpo_tile_acc acc;
    bgpo_zero_tile(acc);
    for (int p = 0; p < pairs; p++) {
        const uint16_t *bp = b + (size_t)p * (NR * 2);
        __m512bh b0 = (__m512bh)_mm512_loadu_si512((const void *)bp);
        __m512bh b1 = (__m512bh)_mm512_loadu_si512((const void *)(bp + 32));
        __m512bh b2 = (__m512bh)_mm512_loadu_si512((const void *)(bp + 64));
        __m512bh b3 = (__m512bh)_mm512_loadu_si512((const void *)(bp + 96));
#pragma GCC unroll 8
        for (int r = 0; r < rows; r++) {
            int32_t pair;
            memcpy(&pair, a + r * lda + 2 * p, 4);
            __m512bh x = (__m512bh)_mm512_set1_epi32(pair);
            acc[r][0] = _mm512_dpbf16_ps(acc[r][0], x, b0);
            acc[r][1] = _mm512_dpbf16_ps(acc[r][1], x, b1);
            acc[r][2] = _mm512_dpbf16_ps(acc[r][2], x, b2);
            acc[r][3] = _mm512_dpbf16_ps(acc[r][3], x, b3);
        }
    }
    bgpo_store_tile(acc, rows, c, ldc, cols, addend);
}

__attribute__((target("avx512f,avx512bw,avx512bf16")))
void bgpo_bf16_gemm_panels(const uint16_t *a, int m, int k, const uint16_t *packed, int n, float *y,
                           const float *addend, int first_panel, int end_panel) {
    int kp = bgpo_bf16_padded(k), pairs = kp / 2;
#define BF16_TILE(rows, row, panel, kc, depth)                                                                  \
    tile(rows, (depth) / 2, a + (size_t)(row) * kp + (kc), kp, packed + ((size_t)(panel) * pairs + (size_t)(kc) / 2) * (NR * 2), \
         y + (size_t)(row) * n + (panel) * NR, n, n - (panel) * NR < NR ? n - (panel) * NR : NR,               \
         BGPO_TILE_ADDEND(y, addend, n, row, panel, kc))
    BGPO_FOR_EACH_TILE(m, kp, KC, MC, first_panel, end_panel, BF16_TILE)
#undef BF16_TILE
}

#else /* not x86-64: no kernels; callers check the CPU first */

size_t bgpo_bf16_packed_count(int n, int k) { (void)n; (void)k; return 0; }
void bgpo_bf16_pack_f32(const float *w, int n, int k, uint16_t *packed) { (void)w; (void)n; (void)k; (void)packed; }
void bgpo_bf16_pack_bf16(const uint16_t *w, int n, int k, uint16_t *packed) { (void)w; (void)n; (void)k; (void)packed; }
void bgpo_bf16_convert_rows(const float *x, int m, int k, uint16_t *out) { (void)x; (void)m; (void)k; (void)out; }
void bgpo_bf16_gemm_panels(const uint16_t *a, int m, int k, const uint16_t *packed, int n, float *y,
                           const float *addend, int first_panel, int end_panel) {
    (void)a; (void)m; (void)k; (void)packed; (void)n; (void)y; (void)addend; (void)first_panel; (void)end_panel;
}
#endif
