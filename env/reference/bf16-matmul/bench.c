/*
 * bench.c - is a BF16 matmul (bf16 inputs, f32 accumulate and output) faster than OpenBLAS's F32
 * cblas_sgemm at the projection shapes of bgpo's forward pass during rollouts?  (issue 15, part 4)
 *
 * y[M,N] = x[M,K] . W[N,K]^T, the layout of Kernels/GEMM.swift's linearForward (PyTorch weight layout).
 *
 * Sides, timed alternately in the same process (the order rotates every repetition):
 *   sgemm   OpenBLAS cblas_sgemm(RowMajor, NoTrans, Trans), f32.
 *   dnnl32  oneDNN matmul, f32 src/weights/dst (reference).
 *   dnnl16  oneDNN matmul, bf16 src/weights, f32 dst, INCLUDING the f32->bf16 conversion of x every call.
 *   dnnl16n the same primitive WITHOUT the conversion (x already bf16).
 *   hand16  bgpo's own _mm512_dpbf16_ps kernel (Sources/CKernels; optional, --hand), including the conversion.
 * Weights are converted / reordered once, ahead of timing; primitives are created once per shape.
 *
 * Usage: bench [--threads T] [--set all|wide] [--reps R] [--min-time S] [--hand] [--probe] [--peak] [--corename]
 *              [--shape MxKxN] [--sides MASK] [--no-header]
 *   --probe: execute one f32 and one bf16 primitive (run it under ONEDNN_VERBOSE=1); --peak: zmm FMA vs
 *   VDPBF16PS instruction throughput on each of T threads at once; --set wide: only the 512/1376 and 8B
 *   widths; --shape / --sides: diagnostics (one shape; time only the sides in the bit mask).
 */
#define _GNU_SOURCE
#include <immintrin.h>
#include <math.h>
#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cblas.h>
#include <oneapi/dnnl/dnnl.h>

#include "bf16gemm.h"

#define CHECK(call)                                                                        \
    do {                                                                                   \
        dnnl_status_t s_ = (call);                                                         \
        if (s_ != dnnl_success) {                                                          \
            fprintf(stderr, "%s:%d: %s failed: status %d\n", __FILE__, __LINE__, #call, (int)s_); \
            exit(1);                                                                       \
        }                                                                                  \
    } while (0)

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static void *xmalloc(size_t bytes) {
    void *p = NULL;
    if (posix_memalign(&p, 64, bytes ? bytes : 64) != 0) {
        fprintf(stderr, "out of memory (%zu bytes)\n", bytes);
        exit(1);
    }
    memset(p, 0, bytes);
    return p;
}

/* ---------------------------------------------------------------- f32 -> bf16 conversion */

/* Round to nearest even (no NaN inputs here). */
static uint16_t bf16_of(float f) {
    uint32_t u;
    memcpy(&u, &f, 4);
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

__attribute__((target("avx512f,avx512bw,avx512bf16")))
static void to_bf16_chunk(const float *x, uint16_t *y, size_t n) {
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512 lo = _mm512_loadu_ps(x + i), hi = _mm512_loadu_ps(x + i + 16);
        __m512bh v = _mm512_cvtne2ps_pbh(hi, lo); /* second operand fills the low half */
        _mm512_storeu_si512((void *)(y + i), (__m512i)v);
    }
    for (; i < n; i++) y[i] = bf16_of(x[i]);
}

static void to_bf16(const float *x, uint16_t *y, size_t n, int nthr) {
    if (nthr <= 1 || n < 65536) {
        to_bf16_chunk(x, y, n);
        return;
    }
#pragma omp parallel num_threads(nthr)
    {
        int t = omp_get_thread_num(), nt = omp_get_num_threads();
        size_t per = ((n + nt - 1) / nt + 31) & ~(size_t)31;
        size_t a = per * t, b = a + per;
        if (b > n) b = n;
        if (a < b) to_bf16_chunk(x + a, y + a, b - a);
    }
}

/* ---------------------------------------------------------------- instruction throughput probe */
/* 16 independent accumulator chains, so latency does not limit; returns flop per second:
 * a zmm vfmadd231ps is 16 x 2 flop, a zmm vdpbf16ps is 16 x 2 x 2 flop. */
#define PEAK_CHAINS 16
__attribute__((target("avx512f,fma")))
static double peak_fma(long iters, float *sink) {
    __m512 acc[PEAK_CHAINS], a = _mm512_set1_ps(1e-3f), b = _mm512_set1_ps(1e-3f);
#pragma GCC unroll 16
    for (int i = 0; i < PEAK_CHAINS; i++) acc[i] = _mm512_set1_ps((float)i);
    double t0 = now();
    for (long n = 0; n < iters; n++) {
#pragma GCC unroll 16
        for (int i = 0; i < PEAK_CHAINS; i++) acc[i] = _mm512_fmadd_ps(a, b, acc[i]);
        __asm__ volatile("" : "+v"(a)); /* keep the loop from being folded */
    }
    double t = now() - t0;
    for (int i = 1; i < PEAK_CHAINS; i++) acc[0] = _mm512_add_ps(acc[0], acc[i]);
    *sink += _mm512_reduce_add_ps(acc[0]);
    return (double)iters * PEAK_CHAINS * 32 / t;
}
__attribute__((target("avx512f,avx512bw,avx512bf16")))
static double peak_dpbf16(long iters, float *sink) {
    __m512 acc[PEAK_CHAINS];
    __m512bh a = (__m512bh)_mm512_set1_epi16((short)bf16_of(1e-3f)), b = a;
#pragma GCC unroll 16
    for (int i = 0; i < PEAK_CHAINS; i++) acc[i] = _mm512_set1_ps((float)i);
    double t0 = now();
    for (long n = 0; n < iters; n++) {
#pragma GCC unroll 16
        for (int i = 0; i < PEAK_CHAINS; i++) acc[i] = _mm512_dpbf16_ps(acc[i], a, b);
        __asm__ volatile("" : "+v"(a));
    }
    double t = now() - t0;
    for (int i = 1; i < PEAK_CHAINS; i++) acc[0] = _mm512_add_ps(acc[0], acc[i]);
    *sink += _mm512_reduce_add_ps(acc[0]);
    return (double)iters * PEAK_CHAINS * 64 / t;
}

/* ---------------------------------------------------------------- one shape */

typedef struct {
    int M, K, N, nthr;
    float *x, *w;           /* x [M,K], w [N,K] */
    uint16_t *xb;           /* bf16 copy of x (written by the converting sides) */
    uint16_t *wp;           /* bgpo kernel's packed weights */
    float *y_s, *y_d32, *y_d16, *y_h;
    dnnl_engine_t eng;
    dnnl_stream_t strm;
    dnnl_primitive_t mm32, mm16;
    dnnl_memory_t src32, wei32, dst32, src16, wei16, dst16;
    const char *impl32, *impl16;
} Case;

static void side_sgemm(Case *c) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, c->M, c->N, c->K, 1.0f, c->x, c->K, c->w, c->K, 0.0f, c->y_s,
                c->N);
}
static void side_d32(Case *c) {
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, c->src32}, {DNNL_ARG_WEIGHTS, c->wei32}, {DNNL_ARG_DST, c->dst32}};
    CHECK(dnnl_primitive_execute(c->mm32, c->strm, 3, args));
    CHECK(dnnl_stream_wait(c->strm));
}
static void side_d16n(Case *c) {
    dnnl_exec_arg_t args[3] = {{DNNL_ARG_SRC, c->src16}, {DNNL_ARG_WEIGHTS, c->wei16}, {DNNL_ARG_DST, c->dst16}};
    CHECK(dnnl_primitive_execute(c->mm16, c->strm, 3, args));
    CHECK(dnnl_stream_wait(c->strm));
}
static void side_d16(Case *c) {
    to_bf16(c->x, c->xb, (size_t)c->M * c->K, c->nthr);
    side_d16n(c);
}
/* bgpo's own kernel (Sources/CKernels, the one `rollout.compute_dtype = "bf16"` runs), its output panels
 * shared among the threads. */
static void side_hand(Case *c) {
    bgpo_bf16_convert_rows(c->x, c->M, c->K, c->xb);
    int panels = (c->N + bgpo_bf16_panel - 1) / bgpo_bf16_panel;
    if (c->nthr <= 1 || panels < 2) {
        bgpo_bf16_gemm_panels(c->xb, c->M, c->K, c->wp, c->N, c->y_h, 0, 0, panels);
        return;
    }
#pragma omp parallel num_threads(c->nthr)
    {
        int t = omp_get_thread_num(), nt = omp_get_num_threads();
        bgpo_bf16_gemm_panels(c->xb, c->M, c->K, c->wp, c->N, c->y_h, 0, panels * t / nt, panels * (t + 1) / nt);
    }
}

/* A matmul primitive src [M,K] ab, weights [K,N] in the layout oneDNN prefers (reordered once from our
 * [N,K] f32 buffer, which is the "ba" layout of a [K,N] matrix), dst [M,N] ab f32. */
static void make_matmul(Case *c, dnnl_data_type_t dt, dnnl_primitive_t *prim, dnnl_memory_t *src, dnnl_memory_t *wei,
                        dnnl_memory_t *dst, void *src_handle, float *dst_handle, const char **impl) {
    dnnl_memory_desc_t smd, wmd, dmd, wsrc_md;
    dnnl_dims_t sd = {c->M, c->K}, wd = {c->K, c->N}, dd = {c->M, c->N};
    CHECK(dnnl_memory_desc_init_by_tag(&smd, 2, sd, dt, dnnl_ab));
    CHECK(dnnl_memory_desc_init_by_tag(&wmd, 2, wd, dt, dnnl_format_tag_any));
    CHECK(dnnl_memory_desc_init_by_tag(&dmd, 2, dd, dnnl_f32, dnnl_ab));
    dnnl_matmul_desc_t desc;
    CHECK(dnnl_matmul_desc_init(&desc, &smd, &wmd, NULL, &dmd));
    dnnl_primitive_desc_t pd;
    CHECK(dnnl_primitive_desc_create(&pd, &desc, NULL, c->eng, NULL));
    CHECK(dnnl_primitive_desc_query(pd, dnnl_query_impl_info_str, 0, impl));
    CHECK(dnnl_primitive_create(prim, pd));
    const dnnl_memory_desc_t *chosen = dnnl_primitive_desc_query_md(pd, dnnl_query_weights_md, 0);
    CHECK(dnnl_memory_create(src, &smd, c->eng, src_handle));
    CHECK(dnnl_memory_create(dst, &dmd, c->eng, dst_handle));
    CHECK(dnnl_memory_create(wei, chosen, c->eng, DNNL_MEMORY_ALLOCATE));
    /* one-time weight conversion / reorder, outside any timing */
    CHECK(dnnl_memory_desc_init_by_tag(&wsrc_md, 2, wd, dnnl_f32, dnnl_ba));
    dnnl_memory_t wsrc;
    CHECK(dnnl_memory_create(&wsrc, &wsrc_md, c->eng, c->w));
    dnnl_primitive_desc_t rpd;
    CHECK(dnnl_reorder_primitive_desc_create(&rpd, &wsrc_md, c->eng, chosen, c->eng, NULL));
    dnnl_primitive_t reorder;
    CHECK(dnnl_primitive_create(&reorder, rpd));
    dnnl_exec_arg_t args[2] = {{DNNL_ARG_FROM, wsrc}, {DNNL_ARG_TO, *wei}};
    CHECK(dnnl_primitive_execute(reorder, c->strm, 2, args));
    CHECK(dnnl_stream_wait(c->strm));
    dnnl_primitive_destroy(reorder);
    dnnl_primitive_desc_destroy(rpd);
    dnnl_memory_destroy(wsrc);
    /* the impl string belongs to pd; keep pd alive (leaked on purpose until the case is freed) */
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static float urand(void) { /* uniform in [-1, 1) */
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (float)((rng_state >> 40) * (1.0 / 16777216.0)) * 2.0f - 1.0f;
}

static void case_init(Case *c, int M, int K, int N, int nthr, int hand, dnnl_engine_t eng, dnnl_stream_t strm) {
    memset(c, 0, sizeof *c);
    c->M = M, c->K = K, c->N = N, c->nthr = nthr, c->eng = eng, c->strm = strm;
    c->x = xmalloc((size_t)M * K * 4);
    c->w = xmalloc((size_t)N * K * 4);
    c->xb = xmalloc((size_t)M * K * 2);
    c->y_s = xmalloc((size_t)M * N * 4);
    c->y_d32 = xmalloc((size_t)M * N * 4);
    c->y_d16 = xmalloc((size_t)M * N * 4);
    float ws = 1.0f / sqrtf((float)K);
    for (size_t i = 0; i < (size_t)M * K; i++) c->x[i] = urand();
    for (size_t i = 0; i < (size_t)N * K; i++) c->w[i] = urand() * ws;
    make_matmul(c, dnnl_f32, &c->mm32, &c->src32, &c->wei32, &c->dst32, c->x, c->y_d32, &c->impl32);
    make_matmul(c, dnnl_bf16, &c->mm16, &c->src16, &c->wei16, &c->dst16, c->xb, c->y_d16, &c->impl16);
    if (hand) {
        c->y_h = xmalloc((size_t)M * N * 4);
        c->wp = xmalloc(bgpo_bf16_packed_count(N, K) * sizeof(uint16_t));
        bgpo_bf16_pack_f32(c->w, N, K, c->wp);
    }
}

static void case_free(Case *c) {
    dnnl_primitive_destroy(c->mm32);
    dnnl_primitive_destroy(c->mm16);
    dnnl_memory_destroy(c->src32), dnnl_memory_destroy(c->wei32), dnnl_memory_destroy(c->dst32);
    dnnl_memory_destroy(c->src16), dnnl_memory_destroy(c->wei16), dnnl_memory_destroy(c->dst16);
    free(c->x), free(c->w), free(c->xb), free(c->wp);
    free(c->y_s), free(c->y_d32), free(c->y_d16), free(c->y_h);
}

/* max|y - ref| / max|ref| and ||y - ref||_2 / ||ref||_2 */
static void rel_err(const float *y, const float *ref, size_t n, double *maxrel, double *l2rel) {
    double md = 0, mr = 0, sd = 0, sr = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)y[i] - ref[i]), r = fabs((double)ref[i]);
        if (d > md) md = d;
        if (r > mr) mr = r;
        sd += d * d, sr += r * r;
    }
    *maxrel = md / mr;
    *l2rel = sqrt(sd / sr);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}
static double median(double *v, int n) {
    double t[64];
    memcpy(t, v, n * sizeof *v);
    qsort(t, n, sizeof *t, cmp_double);
    return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

typedef void (*SideFn)(Case *);

/* seconds per call, over at least min_time seconds */
static double time_side(SideFn f, Case *c, double min_time) {
    int n = 0;
    double t0 = now(), t;
    do {
        f(c);
        n++;
        t = now();
    } while (t - t0 < min_time);
    return (t - t0) / n;
}

/* ---------------------------------------------------------------- main */

static void usage(void) {
    fprintf(stderr, "bench [--threads T] [--set all|wide] [--reps R] [--min-time S] [--hand] [--probe] [--peak] [--corename]\n"
                    "      [--shape MxKxN] [--sides MASK]   (diagnostics: one shape; time only the sides in MASK,\n"
                    "      bit 0 sgemm, 1 oneDNN f32, 2 oneDNN bf16 + conversion, 3 oneDNN bf16, 4 hand; others print nan)\n");
    exit(2);
}

int main(int argc, char **argv) {
    int nthr = 1, reps = 7, hand = 0, probe = 0, peak = 0, side_mask = 31, one_m = 0, one_k = 0, one_n = 0, wide_only = 0, header = 1;
    double min_time = 0.2;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc) nthr = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--min-time") && i + 1 < argc) min_time = atof(argv[++i]);
        else if (!strcmp(argv[i], "--set") && i + 1 < argc) wide_only = !strcmp(argv[++i], "wide");
        else if (!strcmp(argv[i], "--hand")) hand = 1;
        else if (!strcmp(argv[i], "--probe")) probe = 1;
        else if (!strcmp(argv[i], "--peak")) peak = 1;
        else if (!strcmp(argv[i], "--sides") && i + 1 < argc) side_mask = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--shape") && i + 1 < argc) {
            if (sscanf(argv[++i], "%dx%dx%d", &one_m, &one_k, &one_n) != 3) usage();
        }
        else if (!strcmp(argv[i], "--no-header")) header = 0;
        else if (!strcmp(argv[i], "--corename")) {
            printf("%s\n", openblas_get_corename());
            return 0;
        } else usage();
    }
    if (reps < 1 || reps > 63) usage();
    if (peak) { /* instruction throughput, every thread at once, alternating, medians */
        double f[64], b[64], r[64], cpu_share[64];
        float sink = 0;
        long iters = 2000000;
        peak_fma(iters, &sink), peak_dpbf16(iters, &sink);
        for (int i = 0; i < reps; i++) {
            double ff = 0, bb = 0;
            struct timespec c0, c1;
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c0);
            double w0 = now();
#pragma omp parallel num_threads(nthr) reduction(+ : ff, bb)
            {
                float local = 0;
                ff = peak_fma(iters * 5, &local);
                bb = peak_dpbf16(iters * 5, &local);
                if (local == 42.0f) sink += 1; /* keeps the results alive */
            }
            double w = now() - w0;
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &c1);
            cpu_share[i] = ((c1.tv_sec - c0.tv_sec) + 1e-9 * (c1.tv_nsec - c0.tv_nsec)) / w;
            f[i] = ff, b[i] = bb, r[i] = bb / ff;
        }
        printf("peak, %d thread(s) (sum over threads): vfmadd231ps zmm %.1f GFLOPS, vdpbf16ps zmm %.1f GFLOPS, "
               "ratio dpbf16/fma %.2f; CPUs the process got %.2f (medians of %d alternating runs)\n",
               nthr, median(f, reps) * 1e-9, median(b, reps) * 1e-9, median(r, reps), median(cpu_share, reps), reps);
        if (sink == 42.0f) printf("\n");
        return 0;
    }
    openblas_set_num_threads(nthr);
    omp_set_num_threads(nthr);

    dnnl_engine_t eng;
    dnnl_stream_t strm;
    CHECK(dnnl_engine_create(&eng, dnnl_cpu, 0));
    CHECK(dnnl_stream_create(&strm, eng, dnnl_stream_default_flags));

    if (probe) { /* one execution of each primitive, for ONEDNN_VERBOSE */
        Case c;
        case_init(&c, 512, 512, 1376, nthr, 0, eng, strm);
        side_d32(&c);
        side_d16(&c);
        printf("impl f32: %s\nimpl bf16: %s\n", c.impl32, c.impl16);
        case_free(&c);
        return 0;
    }

    const dnnl_version_t *v = dnnl_version();
    fprintf(stderr, "# threads %d: openblas_get_num_threads()=%d omp_get_max_threads()=%d; oneDNN %d.%d.%d (cpu runtime %s)\n",
            nthr, openblas_get_num_threads(), omp_get_max_threads(), v->major, v->minor, v->patch,
            v->cpu_runtime == DNNL_RUNTIME_OMP ? "OpenMP" : v->cpu_runtime == DNNL_RUNTIME_TBB ? "TBB" : "other");

    struct { const char *name; int d, h, only512; } widths[] = {
        {"base 128/344", 128, 344, 0},
        {"small 256/688", 256, 688, 0},
        {"large 512/1376", 512, 1376, 0},
        {"8B 4096/12288", 4096, 12288, 1},
    };
    int Ms[] = {512, 2048, 8192};
    SideFn sides[] = {side_sgemm, side_d32, side_d16, side_d16n, side_hand};
    int nsides = hand ? 5 : 4;

    if (header) {
        printf("| width d/h | proj | M x K x N | thr | sgemm GF/s | oneDNN f32 GF/s | oneDNN bf16 GF/s (incl. conv) | bf16 no conv GF/s |%s speed-up bf16 vs sgemm (min..max) | speed-up no-conv vs sgemm |%s bf16 max rel err | bf16 L2 rel err |\n",
               hand ? " hand bf16 GF/s (incl. conv) |" : "", hand ? " speed-up hand vs sgemm |" : "");
        printf("|---|---|---|---|---|---|---|---|%s---|---|%s---|---|\n", hand ? "---|" : "", hand ? "---|" : "");
    }
    fflush(stdout);

    char impls[8][200];
    int nimpl = 0;
    for (size_t wi = 0; wi < sizeof widths / sizeof *widths; wi++) {
        if (wide_only && widths[wi].d < 512) continue;
        int d = widths[wi].d, h = widths[wi].h;
        struct { const char *name; int K, N; } projs[] = {{"q/k/v/o", d, d}, {"gate/up", d, h}, {"down", h, d}};
        for (int mi = 0; mi < 3; mi++) {
            int M = Ms[mi];
            if (widths[wi].only512 && M != 512) continue;
            for (int pi = 0; pi < 3; pi++) {
                int K = projs[pi].K, N = projs[pi].N;
                if (one_m && (M != one_m || K != one_k || N != one_n)) continue;
                Case c;
                case_init(&c, M, K, N, nthr, hand, eng, strm);
                for (int s = 0; s < 2; s++) { /* record the implementations oneDNN picked */
                    const char *im = s ? c.impl16 : c.impl32;
                    int seen = 0;
                    for (int j = 0; j < nimpl; j++) seen |= !strcmp(impls[j], im);
                    if (!seen && nimpl < 8) snprintf(impls[nimpl++], sizeof impls[0], "%s", im);
                }
                /* warm-up: every side for ~50 ms (at least one call) */
                for (int s = 0; s < nsides; s++)
                    if (side_mask >> s & 1) time_side(sides[s], &c, 0.05);
                double t[5][64];
                for (int r = 0; r < reps; r++)
                    for (int k = 0; k < nsides; k++) {
                        int s = (r + k) % nsides;
                        t[s][r] = side_mask >> s & 1 ? time_side(sides[s], &c, min_time) : NAN;
                    }
                double flop = 2.0 * M * K * N, med[5], ratio[64], ratio_n[64], ratio_h[64];
                for (int s = 0; s < nsides; s++) med[s] = median(t[s], reps);
                double rmin = 1e30, rmax = 0;
                for (int r = 0; r < reps; r++) {
                    ratio[r] = t[0][r] / t[2][r];
                    ratio_n[r] = t[0][r] / t[3][r];
                    if (hand) ratio_h[r] = t[0][r] / t[4][r];
                    if (ratio[r] < rmin) rmin = ratio[r];
                    if (ratio[r] > rmax) rmax = ratio[r];
                }
                /* correctness: results of the last calls (inputs never change) */
                double e16, l16, e32, l32, eh = 0, lh = 0;
                rel_err(c.y_d16, c.y_s, (size_t)M * N, &e16, &l16);
                rel_err(c.y_d32, c.y_s, (size_t)M * N, &e32, &l32);
                if (hand) rel_err(c.y_h, c.y_s, (size_t)M * N, &eh, &lh);
                char hcol[64] = "", hrat[64] = "";
                if (hand) {
                    snprintf(hcol, sizeof hcol, " %.1f |", flop / med[4] * 1e-9);
                    snprintf(hrat, sizeof hrat, " %.2f |", median(ratio_h, reps));
                }
                printf("| %s | %s | %d x %d x %d | %d | %.1f | %.1f | %.1f | %.1f |%s %.2f (%.2f..%.2f) | %.2f |%s %.1e | %.1e |\n",
                       widths[wi].name, projs[pi].name, M, K, N, nthr, flop / med[0] * 1e-9, flop / med[1] * 1e-9,
                       flop / med[2] * 1e-9, flop / med[3] * 1e-9, hcol, median(ratio, reps), rmin, rmax,
                       median(ratio_n, reps), hrat, e16, l16);
                fprintf(stderr, "#   %d x %d x %d: oneDNN f32 vs sgemm max rel err %.1e%s", M, K, N, e32, hand ? "" : "\n");
                if (hand) fprintf(stderr, ", hand bf16 vs sgemm max rel err %.1e (L2 %.1e)\n", eh, lh);
                fflush(stdout);
                case_free(&c);
            }
        }
    }
    for (int j = 0; j < nimpl; j++) fprintf(stderr, "# oneDNN implementation used: %s\n", impls[j]);
    dnnl_stream_destroy(strm);
    dnnl_engine_destroy(eng);
    return 0;
}
