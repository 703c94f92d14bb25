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
#endif
