#include "f32gemm.h"

#include <string.h>

#if defined(__x86_64__)
#include <immintrin.h>

#include "tiles.h"
#include "vectormath.h"

#define NR bgpo_f32_panel /* output columns per panel: 4 zmm of 16 */
#define KC_MAX 768        /* k per block at most; k is cut into equal blocks no longer than this */
#define MC 96             /* rows per block: 96 x 768 floats of a, 288 KiB, stay in L2 */

size_t bgpo_f32_packed_count(int n, int k) {
    return (size_t)((n + NR - 1) / NR) * (size_t)k * NR;
}

/* r[0..<16] holds 16 rows of 16 floats; afterwards r[i] holds their column i. */
__attribute__((always_inline, target("avx512f")))
static inline void transpose16(__m512 r[16]) {
    __m512 t[16];
    for (int i = 0; i < 16; i += 2) { /* pairs of rows, interleaved by float */
        t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
        t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 16; i += 4) { /* then by pairs of floats */
        __m512d a = _mm512_castps_pd(t[i]), b = _mm512_castps_pd(t[i + 1]);
        __m512d c = _mm512_castps_pd(t[i + 2]), d = _mm512_castps_pd(t[i + 3]);
        r[i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, c));
        r[i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, c));
        r[i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(b, d));
        r[i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(b, d));
    }
    for (int h = 0; h < 16; h += 8) /* then by 128-bit lanes, twice */
        for (int i = 0; i < 4; i++) {
            t[h + i] = _mm512_shuffle_f32x4(r[h + i], r[h + i + 4], 0x88);
            t[h + i + 4] = _mm512_shuffle_f32x4(r[h + i], r[h + i + 4], 0xdd);
        }
    for (int i = 0; i < 8; i++) {
        r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
        r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xdd);
    }
}

__attribute__((target("avx512f")))
void bgpo_f32_pack(const float *w, int n, int k, size_t ldw, float *packed) {
    /* Panel by panel, blocks of 16 inputs x 16 outputs transposed in registers: each of a block's
     * rows of w is read as one vector (a cache line), each of its packed rows written as one. The
     * panel's columns past `cols` are zeros. */
    for (int panel = 0; panel * NR < n; panel++) {
        int cols = n - panel * NR < NR ? n - panel * NR : NR;
        float *out = packed + (size_t)panel * k * NR;
        const float *rows = w + (size_t)panel * NR * ldw;
        for (int i0 = 0; i0 < k; i0 += 16) {
            int inputs = k - i0 < 16 ? k - i0 : 16;
            __mmask16 lanes = bgpo_lanes16((size_t)i0, (size_t)k);
            for (int j0 = 0; j0 < NR; j0 += 16) {
                __m512 r[16];
#pragma GCC unroll 16
                for (int j = 0; j < 16; j++)
                    r[j] = j0 + j < cols ? _mm512_maskz_loadu_ps(lanes, rows + (size_t)(j0 + j) * ldw + i0)
                                         : _mm512_setzero_ps();
                transpose16(r);
#pragma GCC unroll 16
                for (int i = 0; i < 16; i++)
                    if (i < inputs) _mm512_storeu_ps(out + (size_t)(i0 + i) * NR + j0, r[i]);
            }
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
void bgpo_f32_gemm_panels(const float *a, int m, int k, const float *packed, int n, float *y, const float *addend,
                          int first_panel, int end_panel) {
    int blocks = (k + KC_MAX - 1) / KC_MAX, per = (k + blocks - 1) / blocks;
#define F32_TILE(rows, row, panel, kc, depth)                                                                   \
    bgpo_f32_tile(rows, depth, a + (size_t)(row) * k + (kc), k, packed + ((size_t)(panel) * k + (kc)) * NR,     \
                  y + (size_t)(row) * n + (panel) * NR, n, n - (panel) * NR < NR ? n - (panel) * NR : NR,       \
                  BGPO_TILE_ADDEND(y, addend, n, row, panel, kc))
    BGPO_FOR_EACH_TILE(m, k, per, MC, first_panel, end_panel, F32_TILE)
#undef F32_TILE
}

#else /* not x86-64: no kernels; callers check the CPU first */

size_t bgpo_f32_packed_count(int n, int k) { (void)n; (void)k; return 0; }
void bgpo_f32_pack(const float *w, int n, int k, size_t ldw, float *packed) {
    (void)w; (void)n; (void)k; (void)ldw; (void)packed;
}
void bgpo_f32_pack_transposed(const float *w, int n, int k, size_t ldw, float *packed) {
    (void)w; (void)n; (void)k; (void)ldw; (void)packed;
}
void bgpo_f32_gemm_panels(const float *a, int m, int k, const float *packed, int n, float *y, const float *addend,
                          int first_panel, int end_panel) {
    (void)a; (void)m; (void)k; (void)packed; (void)n; (void)y; (void)addend; (void)first_panel; (void)end_panel;
}
#endif
