#!/usr/bin/env bash
# Sets up the machine, builds the release binary with the Swift runtime linked statically, and runs
# the main job: `bgpo train --preset countdown-tiny` on two MPI ranks (supervised warm start of a
# small model, test accuracy, BGPO fine-tuning, test accuracy again), then draws the report.
#   BGPO_RANKS    number of MPI ranks (default 2)
#   BGPO_RUN_DIR  run directory (default runs/countdown-tiny); rerunning resumes or says it is complete
set -euo pipefail
cd "$(dirname "$0")/.."
bash env/setup.sh
swift build -c release --static-swift-stdlib --scratch-path .build/static
bin=.build/static/release/bgpo
ranks=${BGPO_RANKS:-2}
run_dir=${BGPO_RUN_DIR:-runs/countdown-tiny}

export OMPI_MCA_pml=ob1 OMPI_MCA_btl=self,vader
if [ "$(id -u)" -eq 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
extra=()
[ "$(nproc)" -ge "$ranks" ] || extra+=(--oversubscribe)

mpirun -np "$ranks" "${extra[@]}" "$bin" train --preset countdown-tiny --output-dir "$run_dir" --threads 1 </dev/null
"$bin" report "$run_dir" --out "$run_dir/report.html"
echo "main job: records in $run_dir (metrics.jsonl, report.html, checkpoints/)"
