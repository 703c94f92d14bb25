#!/usr/bin/env bash
# BF16 matmul (oneDNN, and bgpo's own VDPBF16PS kernel, Sources/CKernels) vs OpenBLAS F32 sgemm at the projection
# shapes of bgpo's rollout forward pass (issue 15, part 4). About 7 minutes on the 2-vCPU machine.
#
#   bash env/reference/bf16-matmul/run.sh
#
# Knobs (environment): BENCH_REPS (7), BENCH_MIN_TIME (0.2 s per side and repetition), BENCH_HAND (1: also
# time bgpo's kernel; 0: skip it), BENCH_ONE_THREAD (1: the 1-thread rows, all widths),
# BENCH_TWO_THREADS (1: the 2-thread rows for the 512/1376 and 8B widths).
#
# The 2-thread rows run with OMP_WAIT_POLICY=passive: with GNU OpenMP's default (spin, then sleep) oneDNN's
# 2-thread matmul fell to 1/4 of its 1-thread speed on this 2-vCPU machine whenever other processes kept a
# vCPU busy, and its spinning workers slowed OpenBLAS's threads too (measured: 512x512x512, oneDNN f32
# 34 vs 166 GFLOPS). Passive waiting costs a futex wake per call on an idle machine, negligible here.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
reps=${BENCH_REPS:-7}
min_time=${BENCH_MIN_TIME:-0.2}
hand=${BENCH_HAND:-1}
one=${BENCH_ONE_THREAD:-1}
two=${BENCH_TWO_THREADS:-1}

for pkg in libdnnl-dev libopenblas-dev; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        apt-get update -qq
        apt-get install -y "$pkg"
    fi
done

build=$(mktemp -d)
trap 'rm -rf "$build"' EXIT
repo=$(cd "$here/../../.." && pwd)
gcc -O2 -fopenmp -Wall -o "$build/bench" "$here/bench.c" "$repo/Sources/CKernels/bf16gemm.c" -I"$repo/Sources/CKernels/include" \
    -I/usr/include/x86_64-linux-gnu -lopenblas -ldnnl -lm
bench=$build/bench

cpu=$(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
family=$(grep -m1 '^cpu family' /proc/cpuinfo | cut -d: -f2 | tr -d ' ')
model=$(grep -m1 '^model[[:space:]]*:' /proc/cpuinfo | cut -d: -f2 | tr -d ' ')
bf16=$(grep -m1 -o -w avx512_bf16 /proc/cpuinfo || echo "no avx512_bf16")
amx=$(grep -m1 -o -w amx_bf16 /proc/cpuinfo || echo "no amx_bf16")
echo "CPU: $cpu (family $family model $model, $(nproc) vCPUs; $bf16, $amx)"

# The core OpenBLAS picks by itself; OpenBLAS 0.3.21 does not know this CPU model and falls back to Prescott.
detected=$(env -u OPENBLAS_CORETYPE OPENBLAS_NUM_THREADS=1 "$bench" --corename)
case "$detected" in
Prescott | Core2 | Penryn | Nehalem | Generic | generic | unknown | Unknown)
    export OPENBLAS_CORETYPE=SkylakeX
    echo "OpenBLAS core: $(OPENBLAS_NUM_THREADS=1 "$bench" --corename) (OpenBLAS detected $detected; OPENBLAS_CORETYPE=SkylakeX exported by this script)"
    ;;
*)
    unset OPENBLAS_CORETYPE
    echo "OpenBLAS core: $detected (detected by OpenBLAS itself)"
    ;;
esac
echo "oneDNN CPU runtime: $(grep -o 'define DNNL_CPU_RUNTIME .*' /usr/include/oneapi/dnnl/dnnl_config.h | awk '{print $3}') (pinned with OMP_NUM_THREADS and omp_set_num_threads)"
echo "load: $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15 min); kernel.sched_autogroup_enabled=$(cat /proc/sys/kernel/sched_autogroup_enabled 2>/dev/null || echo '?')"
echo
echo "oneDNN's choice (ONEDNN_VERBOSE=1, 1 thread, 512 x 512 x 1376):"
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 ONEDNN_VERBOSE=1 "$bench" --threads 1 --probe |
    grep -E '^onednn_verbose,info,cpu|^onednn_verbose,exec,cpu,matmul' | sed 's/^/    /'
echo
# Instruction throughput of one core, and of both at once; "CPUs the process got" is its CPU time over wall
# time: below 2 with 2 threads means other processes (other autogroups: nice does not reach across them
# while kernel.sched_autogroup_enabled=1) held part of the machine, so the 2-thread rows cannot scale.
OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$bench" --peak --threads 1 --reps "$reps"
if [ "$two" = 1 ]; then
    OMP_WAIT_POLICY=passive OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1 "$bench" --peak --threads 2 --reps "$reps"
fi
echo

args=(--reps "$reps" --min-time "$min_time")
[ "$hand" = 1 ] && args+=(--hand)
notes=$build/notes
echo "2-thread rows: OMP_WAIT_POLICY=passive (see the comment at the top of run.sh)."
echo "Speed-up columns are t(sgemm) / t(other), medians over $reps repetitions of paired, alternating runs (>1: faster than sgemm)."
echo "Errors are vs the sgemm result: max|y - ref| / max|ref| and ||y - ref||_2 / ||ref||_2; x uniform in [-1,1), W uniform in [-1,1)/sqrt(K)."
echo
header=()
if [ "$one" = 1 ]; then
    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 "$bench" --threads 1 "${args[@]}" 2>>"$notes"
    header=(--no-header)
fi
if [ "$two" = 1 ]; then
    OMP_WAIT_POLICY=passive OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=2 "$bench" --threads 2 --set wide "${header[@]}" "${args[@]}" 2>>"$notes"
fi
echo
sort -u "$notes" | grep '^# oneDNN implementation' || true
grep -v '^# oneDNN implementation' "$notes" || true
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
