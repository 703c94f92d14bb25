// What the CPU can run, read with cpuid (and the operating system's support for the vector
// registers, through xgetbv), for choosing matrix-product kernels at run time; and how many CPUs
// this process may run on.
#ifndef BGPO_CCPUID_H
#define BGPO_CCPUID_H

/// Instruction-set levels, each including the ones below it.
enum {
    bgpo_isa_baseline = 0, ///< SSE2/SSE3 only (or not x86-64)
    bgpo_isa_avx = 1,      ///< AVX
    bgpo_isa_avx2 = 2,     ///< AVX2 and FMA
    bgpo_isa_avx512 = 3,   ///< AVX-512 F, CD, BW, DQ and VL (Skylake-SP and later, Zen 4 and later)
};

/// The highest level this CPU and operating system run.
int bgpo_cpu_isa_level(void);

/// 1 if the CPU has AVX512_BF16 (Cooper Lake, Sapphire Rapids and later, Zen 4 and later), else 0.
int bgpo_cpu_has_avx512_bf16(void);

/// Writes the CPU's brand string (for example "Intel(R) Xeon(R) Processor"), NUL-terminated and
/// without leading spaces, into `buffer` of `size` bytes (at least 49 for the whole string).
/// Returns 0 when the CPU reports none (the buffer then holds an empty string).
int bgpo_cpu_brand(char *buffer, int size);

/// The number of CPUs in this process's affinity mask (sched_getaffinity: taskset, a cgroup
/// cpuset, a launcher's binding), or 0 when it cannot be read.
int bgpo_affinity_cpu_count(void);

#endif
