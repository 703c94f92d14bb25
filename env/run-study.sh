#!/usr/bin/env bash
# Runs a bgpo study on this machine: as many runs at once as there are cores (each run one
# process with BGPO_THREADS BLAS threads), at lower priority (nice), each run's log in
# STUDY_DIR/logs/<entry>.seed-<n>.log (appended).
#
#   bash env/run-study.sh docs/studies/countdown-table1.toml [STUDY_DIR] [--set key=value]...
#
# The whole study is validated first (`bgpo study plan`, exit 64 naming the bad key) and its plan
# printed. Run it again to continue: every run resumes from its newest checkpoint that verifies,
# and a run that is complete exits at once ("already complete"). Ctrl-C or SIGTERM stops the runs
# at their next step boundary with a checkpoint (exit 75). Exits 0 when every run is complete,
# else with the first failed run's exit status (75 when runs were stopped early).
#
# Settings (environment variables):
#   BGPO          the bgpo binary (default: .build/release/bgpo)
#   BGPO_THREADS  BLAS threads per run (default 1)
#   BGPO_JOBS     runs at once (default: cores / BGPO_THREADS, at least 1)
#   BGPO_NICE     niceness of the runs (default 10)
set -uo pipefail
if [ $# -lt 1 ]; then
  echo "usage: bash env/run-study.sh STUDY_FILE [STUDY_DIR] [--set key=value]..." >&2
  exit 64
fi
repo=$(cd "$(dirname "$0")/.." && pwd)
file=$1
shift
options=()
if [ $# -gt 0 ] && [ "${1#--}" = "$1" ]; then
  options+=(--study-dir "$1")
  shift
fi
options+=("$@")
bgpo=${BGPO:-$repo/.build/release/bgpo}
threads=${BGPO_THREADS:-1}
cores=$(nproc)
jobs=${BGPO_JOBS:-$(( cores / threads > 0 ? cores / threads : 1 ))}

plan=$("$bgpo" study plan "$file" "${options[@]}") || exit $?
count=$(printf '%s\n' "$plan" | grep -c .)
first=$(printf '%s\n' "$plan" | head -n 1 | cut -f 2)
study_dir=${first%/*/*}
mkdir -p "$study_dir/logs" || exit 74
echo "run-study: $count run(s) of $file, $jobs at once, $threads thread(s) each:"
printf '%s\n' "$plan" | cut -f 1,2 | sed 's/^/  /'

declare -A index_of   # pid of each running run -> its index
stop() {
  echo "run-study: stopping: SIGTERM to the running runs (they checkpoint and exit 75)"
  for pid in "${!index_of[@]}"; do kill -TERM "$pid" 2>/dev/null; done
}
trap stop INT TERM

status=0
# Waits for one run to end and records its status.
reap() {
  local pid rc
  wait -n -p pid
  rc=$?
  [ -z "${pid:-}" ] && return
  echo "run-study: run ${index_of[$pid]} exited with status $rc"
  [ "$rc" -ne 0 ] && [ "$status" -eq 0 ] && status=$rc
  unset "index_of[$pid]"
}
while IFS=$'\t' read -r index dir _; do
  while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do reap; done
  entry=${dir%/*}
  log=$study_dir/logs/${entry##*/}.${dir##*/}.log
  echo "run-study: starting run $index in $dir (log $log)"
  nice -n "${BGPO_NICE:-10}" "$bgpo" study train "$file" "${options[@]}" --index "$index" --threads "$threads" \
    >> "$log" 2>&1 &
  index_of[$!]=$index
done <<< "$plan"
while [ "$(jobs -rp | wc -l)" -gt 0 ]; do reap; done
echo "run-study: done, status $status; where each run stands:"
"$bgpo" study status "$file" "${options[@]}" | cut -f 1,3,4 | sed 's/^/  /'
echo "run-study: report: $bgpo report --study $file ${options[*]} --table"
exit "$status"
