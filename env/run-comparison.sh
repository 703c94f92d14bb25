#!/usr/bin/env bash
# The paper's comparison at small scale (docs/single-seed-trials.md; the seeded studies are in docs/results.md): one supervised base policy on
# countdown (3.2M parameters), then BGPO (n_t 16), VRPO-OL (n_t 4) and diffu-GRPO (n_t 1) for the
# same number of steps from that base, one after another, each data-parallel over BGPO_RANKS MPI
# ranks of one BLAS thread, and one report with the three runs overlaid.
#   BGPO_BIN             the bgpo binary (default .build/release/bgpo, built when missing)
#   BGPO_COMPARISON_DIR  where the base, the runs and the report go (default runs/comparison)
#   BGPO_RANKS           MPI ranks of each run (default 2)
# Rerunning resumes unfinished runs and skips finished ones; an existing base is kept.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${BGPO_BIN:-.build/release/bgpo}
dir=${BGPO_COMPARISON_DIR:-runs/comparison}
ranks=${BGPO_RANKS:-2}
[ -x "$bin" ] || swift build -c release
export OMPI_MCA_pml=ob1 OMPI_MCA_btl=self,vader
if [ "$(id -u)" -eq 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
extra=()
[ "$(nproc)" -ge "$ranks" ] || extra+=(--oversubscribe)
mkdir -p "$dir"

# The base policy of docs/base-policies.md, in the comparison presets' model shape and SFT recipe
# (the countdown-bgpo preset; max_seq 256 as the measured base): one process, one thread, as
# measured there (about 23 minutes here).
if [ ! -f "$dir/base/model.json" ]; then
    "$bin" sft --preset countdown-bgpo --set model.max_seq=256 --out "$dir/base" --threads 1 2>&1 | tee "$dir/base.log"
fi

objectives=(countdown-bgpo countdown-vrpo-ol countdown-diffu-grpo)
for preset in "${objectives[@]}"; do
    mpirun -np "$ranks" "${extra[@]}" "$bin" train --preset "$preset" --output-dir "$dir/$preset" --threads 1 \
        --set model.path="$dir/base" </dev/null >"$dir/$preset.log" 2>&1
    tail -n 1 "$dir/$preset.log"
done
"$bin" report "${objectives[@]/#/$dir/}" --out "$dir/report.html"
echo "comparison: runs and report.html in $dir"
