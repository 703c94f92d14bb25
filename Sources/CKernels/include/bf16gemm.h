// Bfloat16 matrix products for the rollout forward (`rollout.compute_dtype = "bf16"`): inputs
// rounded to bfloat16, products summed in F32 by the AVX512_BF16 dot-product instruction
// (VDPBF16PS), F32 results.
//
// The weight W [n, k] (PyTorch layout) is packed once into panels of 64 output columns: inside a
// panel, for every pair of k, the 64 columns' two bfloat16 values side by side, so one VDPBF16PS
// multiplies a broadcast pair (x[m][k], x[m][k+1]) with 16 columns. An odd k is padded with a zero
// column. The activations are rounded to bfloat16 row by row before each product.
//
// The kernels are compiled for AVX512_BF16 with target attributes: call them only on a CPU that
// runs AVX-512 with AVX512_BF16 (CCPUID's bgpo_cpu_isa_level and bgpo_cpu_has_avx512_bf16).
#ifndef BGPO_BF16GEMM_H
#define BGPO_BF16GEMM_H
#include <stddef.h>
#include <stdint.h>

/// Output columns per packed panel.
enum { bgpo_bf16_panel = 64 };

/// k rounded up to even: the row length of converted activations.
static inline int bgpo_bf16_padded(int k) { return k + (k & 1); }

/// Elements (uint16_t) of the packed form of an [n, k] weight.
size_t bgpo_bf16_packed_count(int n, int k);

/// Packs the F32 weight `w` [n, k] (row stride k) into `packed` (bgpo_bf16_packed_count(n, k)
/// elements), rounding to the nearest even bfloat16.
void bgpo_bf16_pack_f32(const float *w, int n, int k, uint16_t *packed);

/// Packs the bfloat16 weight `w` [n, k] (row stride k) into `packed`, unchanged.
void bgpo_bf16_pack_bf16(const uint16_t *w, int n, int k, uint16_t *packed);

/// Rounds `x` [m, k] (row stride k) to bfloat16 rows of bgpo_bf16_padded(k) elements in `out`
/// (the padding element zero), nearest even.
void bgpo_bf16_convert_rows(const float *x, int m, int k, uint16_t *out);

/// Output panels [first_panel, end_panel) of y = addend + a . W^T, addend as bgpo_f32_gemm_panels'
/// (NULL, y itself, or a residual [m, n]): a [m, bgpo_bf16_padded(k)] from bgpo_bf16_convert_rows,
/// `packed` from a pack function for the [n, k] weight, y [m, n] F32 (row stride n). Disjoint panel
/// ranges may run in parallel.
void bgpo_bf16_gemm_panels(const uint16_t *a, int m, int k, const uint16_t *packed, int n, float *y,
                           const float *addend, int first_panel, int end_panel);

#endif
