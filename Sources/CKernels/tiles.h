// What both packed kernels share (bf16gemm.c, f32gemm.c; x86-64 only): a tile's accumulators,
// zeroed and stored; the F32 tile (f32gemm.c's products over a packed weight, and attention's over
// packed keys and values); and the loop over tiles: the inner dimension in blocks of `k_block` (the
// last one shorter), then the rows in blocks of `row_block` (a block of the input stays in L2
// while the panels stream past it), then output panels [first_panel, end_panel), each block of
// rows through the panel in tiles of 6 rows and one tile of the rows left.
//
// TILE(rows, row, panel, kc, depth) is the caller's macro for one tile: `rows` (1-6, a constant,
// so that the tile's loops unroll) from row `row`, output panel `panel`, inner dimension
// kc ..< kc + depth; a k block after the first (kc > 0) adds to the output (BGPO_TILE_ADDEND
// gives each tile what it adds its product to).
#ifndef BGPO_TILES_H
#define BGPO_TILES_H

#include <stddef.h>
#include <immintrin.h>

/* A tile's accumulators: 6 rows of 64 output columns, 4 zmm of 16 each. */
typedef __m512 bgpo_tile_acc[6][4];

/* Zeroes a tile's accumulators. */
__attribute__((always_inline, target("avx512f")))
static inline void bgpo_zero_tile(bgpo_tile_acc acc) {
#pragma GCC unroll 8
    for (int r = 0; r < 6; r++)
#pragma GCC unroll 4
        for (int j = 0; j < 4; j++) acc[r][j] = _mm512_setzero_ps();
}

/* C[rows, cols] = the accumulators' first rows and columns, plus `addend`'s (NULL: nothing; C
 * itself: C += them; or a matrix of C's shape); C's and addend's row stride is ldc. */
__attribute__((always_inline, target("avx512f")))
static inline void bgpo_store_tile(bgpo_tile_acc acc, const int rows, float *c, size_t ldc, int cols,
                                   const float *addend) {
#pragma GCC unroll 8
    for (int r = 0; r < rows; r++)
#pragma GCC unroll 4
        for (int j = 0; j < 4; j++) {
            int left = cols - 16 * j;
            if (left <= 0) break;
            __mmask16 mask = left >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << left) - 1);
            size_t at = r * ldc + 16 * j;
            __m512 v = acc[r][j];
            if (addend) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(mask, addend + at));
            _mm512_mask_storeu_ps(c + at, mask, v);
        }
}

/* bgpo_f32_tile over the first `vectors` (1-4, a constant) vectors of 16 of B's 64 columns. */
__attribute__((always_inline, target("avx512f")))
static inline void bgpo_f32_tile_vectors(const int rows, const int vectors, int depth, const float *a, size_t lda,
                                         const float *b, float *c, size_t ldc, int cols, const float *addend) {
    bgpo_tile_acc acc;
    bgpo_zero_tile(acc);
    for (int p = 0; p < depth; p++) {
        __m512 bp[4];
#pragma GCC unroll 4
        for (int j = 0; j < vectors; j++) bp[j] = _mm512_loadu_ps(b + (size_t)p * 64 + 16 * j);
#pragma GCC unroll 8
        for (int r = 0; r < rows; r++) {
            __m512 x = _mm512_set1_ps(a[r * lda + p]);
#pragma GCC unroll 4
            for (int j = 0; j < vectors; j++) acc[r][j] = _mm512_fmadd_ps(x, bp[j], acc[r][j]);
        }
    }
    bgpo_store_tile(acc, rows, c, ldc, cols, addend);
}

/* C[rows, cols] = addend + A[rows, depth] . B[depth, 64] in F32 (addend as bgpo_store_tile's): rows
 * <= 6, cols <= 64; A's row stride lda; B a panel of 64 columns per depth step, zero past `cols` (a
 * packed weight's panel, or keys or values packed for attention); C's row stride ldc. A panel's
 * columns past `cols` cost nothing beyond their last vector of 16: a weight's last panel (1,376 =
 * 21.5 panels) runs at its width. */
__attribute__((always_inline, target("avx512f")))
static inline void bgpo_f32_tile(const int rows, int depth, const float *a, size_t lda, const float *b, float *c,
                                 size_t ldc, int cols, const float *addend) {
    switch ((cols + 15) / 16) {
    case 1: bgpo_f32_tile_vectors(rows, 1, depth, a, lda, b, c, ldc, cols, addend); break;
    case 2: bgpo_f32_tile_vectors(rows, 2, depth, a, lda, b, c, ldc, cols, addend); break;
    case 3: bgpo_f32_tile_vectors(rows, 3, depth, a, lda, b, c, ldc, cols, addend); break;
    default: bgpo_f32_tile_vectors(rows, 4, depth, a, lda, b, c, ldc, cols, addend); break;
    }
}

#define BGPO_FOR_EACH_TILE(m, k, k_block, row_block, first_panel, end_panel, TILE)                              \
    for (int kc = 0; kc < (k); kc += (k_block)) {                                                                \
        int depth = (k) - kc < (k_block) ? (k) - kc : (k_block);                                                 \
        for (int mc = 0; mc < (m); mc += (row_block)) {                                                          \
            int block_rows = (m) - mc < (row_block) ? (m) - mc : (row_block);                                    \
            for (int panel = (first_panel); panel < (end_panel); panel++) {                                      \
                int r = 0;                                                                                       \
                for (; r + 6 <= block_rows; r += 6) TILE(6, mc + r, panel, kc, depth);                           \
                switch (block_rows - r) {                                                                        \
                case 5: TILE(5, mc + r, panel, kc, depth); break;                                                \
                case 4: TILE(4, mc + r, panel, kc, depth); break;                                                \
                case 3: TILE(3, mc + r, panel, kc, depth); break;                                                \
                case 2: TILE(2, mc + r, panel, kc, depth); break;                                                \
                case 1: TILE(1, mc + r, panel, kc, depth); break;                                                \
                default: break;                                                                                  \
                }                                                                                                \
            }                                                                                                    \
        }                                                                                                        \
    }

/* The addend of the tile at (row, panel) in k block kc of a product y [m, n] = addend + a . W^T
 * (row stride n): y's own tile after the first block, else addend's (NULL: none). */
#define BGPO_TILE_ADDEND(y, addend, n, row, panel, kc)                                                         \
    ((kc) > 0 ? (y) + (size_t)(row) * (n) + (panel) * 64                                                        \
              : (addend) ? (addend) + (size_t)(row) * (n) + (panel) * 64 : NULL)

#endif
