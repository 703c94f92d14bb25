// F32 matrix products over a weight packed once, for the rollout forward on AVX-512 CPUs: the same
// products as OpenBLAS's sgemm (F32 inputs, F32 fused multiply-adds, F32 results), summed in
// another order, without packing the weight again at every call.
//
// The weight W [n, k] (PyTorch layout) is packed into panels of 64 output columns: inside a panel,
// for every k, the 64 columns' values side by side, so one FMA multiplies a broadcast x[m][k] with
// 16 columns. The activations are read as they are.
//
// The kernels are compiled for AVX-512F with target attributes: call them only on a CPU that runs
// AVX-512 (CCPUID's bgpo_cpu_isa_level).
#ifndef BGPO_F32GEMM_H
#define BGPO_F32GEMM_H
#include <stddef.h>

/// Output columns per packed panel.
enum { bgpo_f32_panel = 64 };

/// Elements (float) of the packed form of an [n, k] weight.
size_t bgpo_f32_packed_count(int n, int k);

/// Packs the weight `w` [n, k] (row stride ldw >= k) into `packed` (bgpo_f32_packed_count(n, k) elements).
void bgpo_f32_pack(const float *w, int n, int k, size_t ldw, float *packed);

/// Packs the transpose of `w` [k, n] (row stride ldw >= n) into `packed` (bgpo_f32_packed_count(n, k)
/// elements): the weight of y = a . w, as bgpo_f32_pack packs the weight of y = a . W^T.
void bgpo_f32_pack_transposed(const float *w, int n, int k, size_t ldw, float *packed);

/// Output panels [first_panel, end_panel) of y = addend + a . W^T: addend NULL (y = a . W^T), y
/// itself (y += a . W^T) or another [m, n] matrix (row stride n: a residual stream); a [m, k] (row
/// stride k), `packed` from bgpo_f32_pack for the [n, k] weight, y [m, n] (row stride n). Disjoint
/// panel ranges may run in parallel.
void bgpo_f32_gemm_panels(const float *a, int m, int k, const float *packed, int n, float *y, const float *addend,
                          int first_panel, int end_panel);

#endif
