#!/usr/bin/env bash
# The paper's comparison at small scale (env/rl-results.md): one supervised base policy on
# countdown, then BGPO (n_t 16), VRPO-OL (n_t 4) and diffu-GRPO (n_t 1) for the same number of steps
# from that base, and one report with the three runs overlaid.
#   BGPO_BIN             the bgpo binary (default .build/release/bgpo, built when missing)
#   BGPO_COMPARISON_DIR  where the base, the runs and the report go (default runs/comparison)
#   BGPO_THREADS         OpenBLAS threads of each run (default 2); the runs go one after another
#   BGPO_PARALLEL=1      run the three objectives at once instead (use 1 thread each on 2 cores)
# Rerunning resumes unfinished runs and skips finished ones.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BGPO_BIN:-.build/release/bgpo}
dir=${BGPO_COMPARISON_DIR:-runs/comparison}
threads=${BGPO_THREADS:-2}
[ -x "$bin" ] || swift build -c release
# OpenBLAS picks AVX-512 kernels by itself on CPUs that have them; a preset Haswell core halves speed.
unset OPENBLAS_CORETYPE
mkdir -p "$dir"

# The base policy of env/base-policies.md: about 13% countdown test accuracy, 0.82M parameters.
if [ ! -f "$dir/base/model.json" ]; then
    "$bin" sft --task countdown --out "$dir/base" --preset small --d-model 128 --mlp-hidden 344 \
        --steps 1500 --batch-size 64 --learning-rate 1e-3 --warmup-steps 100 --log-every 100 \
        --threads "$threads" 2>&1 | tee "$dir/base.log"
fi

objectives=(countdown-bgpo countdown-vrpo-ol countdown-diffu-grpo)
train() {
    "$bin" train --preset "$1" --output-dir "$dir/$1" --threads "$threads" --set model.path="$dir/base" \
        </dev/null >"$dir/$1.log" 2>&1
    tail -n 2 "$dir/$1.log"
}
if [ "${BGPO_PARALLEL:-0}" = 1 ]; then
    pids=()
    for preset in "${objectives[@]}"; do train "$preset" & pids+=($!); done
    for pid in "${pids[@]}"; do wait "$pid"; done
else
    for preset in "${objectives[@]}"; do train "$preset"; done
fi
"$bin" report "${objectives[@]/#/$dir/}" --out "$dir/report.html"
echo "comparison: runs and report.html in $dir"
