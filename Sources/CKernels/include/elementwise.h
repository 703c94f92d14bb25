// Element-wise steps of the transformer on AVX-512 CPUs (Kernels' SwiGLU.swift runs them
// elsewhere): the same formulas, with fused multiply-adds in e^x.
//
// Compiled for AVX-512 with target attributes: call them only on a CPU that runs AVX-512 (CCPUID's
// bgpo_cpu_isa_level).
#ifndef BGPO_ELEMENTWISE_H
#define BGPO_ELEMENTWISE_H
#include <stddef.h>

/// out = silu(gate) * up over `count` elements, silu(g) = g * sigmoid(g).
void bgpo_f32_swiglu_forward(const float *gate, const float *up, float *out, size_t count);

/// The backward of bgpo_f32_swiglu_forward: d_gate += d_out * up * s * (1 + g * (1 - s)),
/// d_up += d_out * g * s, s = sigmoid(g), when `accumulate`; else `=` (what they held ignored).
void bgpo_f32_swiglu_backward(const float *gate, const float *up, const float *d_out, float *d_gate, float *d_up,
                              size_t count, int accumulate);

#endif
