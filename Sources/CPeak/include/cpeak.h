// FP32 FMA throughput loop: the measured arithmetic peak of one core.
//
// The loop keeps bgpo_fma_chains independent accumulators in vector registers and updates each
// with one fused multiply-add per iteration, `c = c * 0.999999f + 1e-6f`, chain k starting at
// k / 100 (every chain stays between 0 and 1, so no denormals, infinities or NaNs). The chains
// are independent, so with enough of them the FMA pipes never wait for a result: the loop runs at
// the core's FMA throughput. The functions are compiled for their instruction set with target
// attributes and chosen at run time, so the rest of the program needs no -march flag.
#ifndef BGPO_CPEAK_H
#define BGPO_CPEAK_H

#include <stdint.h>

/// Independent FMA chains of the loop: enough to hide a 4-cycle FMA latency on two pipes three
/// times over.
enum { bgpo_fma_chains = 12 };

/// 1 if this CPU and operating system run the loop at `bits` (256: AVX2 and FMA, 512: AVX-512F),
/// else 0 (also for any other width and on non-x86-64 builds).
int bgpo_fma_supported(int bits);

/// Runs `iterations` iterations of the loop on `bits`-wide vectors and stores the sum of all
/// accumulator lanes in `*checksum`. Returns the floating-point operations done,
/// iterations x bgpo_fma_chains x (bits / 32) lanes x 2, or 0 (and leaves `*checksum` alone)
/// when bgpo_fma_supported(bits) is 0 or `iterations` is negative.
int64_t bgpo_fma_run(int bits, int64_t iterations, float *checksum);

/// 1 if this CPU and operating system run the bfloat16 dot-product loop (AVX-512F with AVX512_BF16), else 0.
int bgpo_dpbf16_supported(void);
/// Runs `iterations` iterations of the loop with zmm VDPBF16PS instead of FMA (each a pair of
/// bfloat16 products per lane added to an F32 accumulator) and stores the lanes' sum in
/// `*checksum`. Returns iterations x bgpo_fma_chains x 16 lanes x 4, or 0 when unsupported.
int64_t bgpo_dpbf16_run(int64_t iterations, float *checksum);
#endif
