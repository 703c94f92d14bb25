// Attention over keys and values packed per head, for the forward passes on AVX-512 CPUs: F32
// products (bgpo_f32_tile, as f32gemm.c's) and an F32 softmax.
//
// Compiled for AVX-512 with target attributes: call it only on a CPU that runs AVX-512 (CCPUID's
// bgpo_cpu_isa_level).
#ifndef BGPO_ATTENTION_H
#define BGPO_ATTENTION_H
#include <stddef.h>

/// One attention head over one sequence:
/// probs[queries, seq] = softmax(scale * q . k^T) with the keys whose `key_mask` byte is 0 left out
/// (probability 0; NULL: every key real; a row with no real key gets zeros), and
/// out[queries, head_dim] = probs . v, six query rows at a time (their scores, softmax and outputs
/// while their probabilities are in L1).
/// q: [queries, head_dim] (row stride ldq); `keys`: k [seq, head_dim] packed by
/// bgpo_f32_pack(k, seq, head_dim, ldk, keys); `values`: v [seq, head_dim] packed by
/// bgpo_f32_pack_transposed(v, head_dim, seq, ldv, values); probs: row stride seq, or NULL when the
/// probabilities are not kept (a pass no backward follows: six rows' at a time go through
/// `rows_scratch` [6, seq] instead, and never leave the cache); out: row stride ldo.
void bgpo_f32_attention_head(const float *q, int queries, size_t ldq, const float *keys, const float *values, int seq,
                             int head_dim, float scale, const unsigned char *key_mask, float *probs, float *rows_scratch,
                             float *out, size_t ldo);

#endif
