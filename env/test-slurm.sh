#!/usr/bin/env bash
# A real Slurm job end to end on this machine: brings up the one-node Slurm (env/slurm-up.sh),
# submits slurm/train.sbatch with 2 tasks and a tiny configuration, stops it once its first
# checkpoint exists with `scancel --signal=USR1 --batch`, and checks that the job checkpointed,
# exited 75, requeued itself, resumed from that checkpoint and completed with exactly the
# configured steps in one continuous metrics file (steps 0..N, each once) and one appended log.
# Then a second job is cancelled with plain `scancel` (SIGTERM): it checkpoints, exits 75 and is
# not requeued. Last, slurm/sft.sbatch trains a tiny model for 3 steps on 2 ranks and slurm/eval.sbatch
# evaluates it, and slurm/study.sbatch runs a 2-task job array of tiny study runs. Brings Slurm
# down again if this script brought it up. Needs root; exits non-zero on any failure.
#
#   env/test-slurm.sh                  # uses .build/release/bgpo (built if missing)
#   BGPO=/path/to/bgpo env/test-slurm.sh
#   BGPO_TEST_KEEP=1 env/test-slurm.sh # keep the work directory (run, log) for a look
#
# About 110 s here (under load): Slurm start 3 s, 40 steps of about 0.4 s on 2 ranks, the requeue, the cancel,
# the sft and eval jobs, the study array.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

steps=40
slurm_dir=${BGPO_SLURM_DIR:-/var/lib/bgpo-slurm}
export SLURM_CONF=$slurm_dir/slurm.conf
started=$(date +%s)

say() { echo "test-slurm: $*"; }
fail() { echo "test-slurm: FAILED: $*" >&2; [ -n "${log:-}" ] && [ -f "$log" ] && sed 's/^/  log: /' "$log" >&2; exit 1; }

[ "$(id -u)" -eq 0 ] || fail "run as root (Slurm's daemons need it)"

bgpo=${BGPO:-$repo/.build/release/bgpo}
if [ ! -x "$bgpo" ]; then
  say "building $bgpo"
  swift build -c release --product bgpo
fi
bgpo=$(realpath "$bgpo")

# Bring Slurm up unless its controller already runs; only then bring it down at the end.
ours=
if ! { [ -s "$slurm_dir/run/slurmctld.pid" ] && [ -d "/proc/$(cat "$slurm_dir/run/slurmctld.pid")" ]; }; then
  ours=1
fi
work=$(mktemp -d /tmp/bgpo-test-slurm.XXXXXX)
job=
cleanup() {
  local rc=$?
  if [ -n "$job" ] && squeue -h -j "$job" 2>/dev/null | grep -q .; then scancel "$job" 2>/dev/null || true; fi
  if [ -n "$ours" ]; then bash "$repo/env/slurm-down.sh" >/dev/null || true; fi
  if [ -n "${BGPO_TEST_KEEP:-}" ]; then say "kept $work"; else rm -rf "$work"; fi
  exit "$rc"
}
trap cleanup EXIT
bash "$repo/env/slurm-up.sh"

# Each step waits until `condition` (a command) succeeds, polling every 0.5 s for up to $1 seconds.
wait_for() {
  local seconds=$1 what=$2
  shift 2
  for _ in $(seq $((seconds * 2))); do
    "$@" && return 0
    sleep 0.5
  done
  fail "$what: not within $seconds s"
}
field() { scontrol show job "$job" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$1=//p" | head -n 1; }
state_is() { [ "$(field JobState)" = "$1" ]; }
requeued() { [ "$(field Restarts)" = 1 ] && state_is PENDING; }
ended() { case $(field JobState) in COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL) return 0 ;; esac; return 1; }
# Waits up to $1 seconds for the job to end, and fails unless it completed with exit code 0.
completes() {
  wait_for "$1" "the end of job $job" ended
  state_is COMPLETED && [ "$(field ExitCode)" = "0:0" ] || fail "job $job ended $(field JobState), ExitCode $(field ExitCode)"
}
# The previous run's batch step (slurmstepd) has ended; releasing a requeued job earlier races with
# its completion in slurmctld (seen here: the new run is then requeued again and cancelled).
batch_gone() {
  local f
  for f in /proc/[0-9]*/cmdline; do
    case $(tr '\0' ' ' 2>/dev/null < "$f") in "slurmstepd: [$job.batch]"*) return 1 ;; esac
  done
}

# srun passes this shell's environment to the ranks; skip network transports that are not there.
export OMPI_MCA_pml=ob1 OMPI_MCA_btl=self,vader
# Submits slurm/train.sbatch (2 tasks, tiny configuration) with run directory $run and log $log; sets job.
submit() {
  job=$(BGPO=$bgpo BGPO_RUN_DIR=$run sbatch --parsable --ntasks=2 --cpus-per-task=1 --time=00:10:00 \
    --output="$log" slurm/train.sbatch \
    --preset countdown-tiny --set model.preset=tiny --set model.max_seq=96 --set sft.steps=0 \
    --set train.max_steps=$steps --set train.prompts_per_step=4 --set train.eval_steps=0 --set task.test_size=4 \
    --set rollout.num_generations=4 --set rollout.max_completion_length=64 --set rollout.block_length=16 \
    --set rollout.diffusion_steps=64 --set checkpoint.save_steps=5)
  say "submitted job $job (run directory $run)"
}

run=$work/run
log=$work/slurm.out
submit

wait_for 120 "the first checkpoint" test -s "$run/checkpoints/LATEST"
first=$(cat "$run/checkpoints/LATEST")
say "$first written; scancel --signal=USR1 --batch $job"
scancel --signal=USR1 --batch "$job"

wait_for 120 "the requeue after exit 75" requeued
stopped=$(cat "$run/checkpoints/LATEST")
stopped_step=$((10#${stopped#step-}))
say "job requeued (Reason $(field Reason)); checkpoint $stopped; releasing it now"
grep -q "batch: SIGUSR1 received" "$log" || fail "the batch shell did not trap SIGUSR1"
grep -q "stopping at step $stopped_step of $steps (signal SIGUSR1)" "$log" || fail "bgpo did not stop at step $stopped_step on SIGUSR1"
grep -q "batch: srun exited with status 75" "$log" || fail "the job step did not exit 75"
grep -q "batch: requeueing job $job" "$log" || fail "the batch script did not requeue the job"
[ "$stopped_step" -lt "$steps" ] || fail "the run completed before the signal arrived"
wait_for 60 "the end of the first run's batch step" batch_gone
sleep 1
scontrol update JobId="$job" StartTime=now

completes 180
say "job completed after $(field Restarts) restart(s)"

grep -q "resuming from $run/checkpoints/$stopped at step $stopped_step" "$log" || fail "the second run did not resume from $stopped"
[ "$(grep -c '^batch: job .* run ' "$log")" -eq 2 ] || fail "expected two runs of the batch script in one log"
recorded=$(sed -n 's/^{"step": \([0-9]*\),.*/\1/p' "$run/metrics.jsonl" | paste -sd ' ')
[ "$(grep -c . "$run/metrics.jsonl")" -eq $((steps + 1)) ] || fail "metrics.jsonl has lines that are not steps"
[ "$recorded" = "$(seq -s ' ' 0 $steps)" ] || fail "metrics.jsonl steps are '$recorded', expected 0..$steps each once"
[ "$(cat "$run/checkpoints/LATEST")" = "$(printf 'step-%06d' $steps)" ] || fail "LATEST is $(cat "$run/checkpoints/LATEST")"
out=$("$bgpo" checkpoint verify "$run" 2>&1) || fail "the final checkpoint does not verify: $out"
say "stopped at step $stopped_step by SIGUSR1, exit 75, requeued, resumed, completed $steps steps"

# scancel (SIGTERM): the run still checkpoints and exits 75, but a cancelled job stays cancelled.
run=$work/cancelled
log=$work/cancelled.out
submit
wait_for 120 "the first checkpoint" test -s "$run/checkpoints/LATEST"
scancel "$job"
wait_for 60 "the batch script's end after scancel" grep -q "batch: not requeueing: stopped by SIGTERM" "$log"
grep -q "batch: srun exited with status 75" "$log" || fail "the job step did not exit 75 after SIGTERM"
wait_for 60 "the cancelled job's end" state_is CANCELLED
[ "$(field Restarts)" = 0 ] || fail "the cancelled job was requeued"
out=$("$bgpo" checkpoint verify "$run" 2>&1) || fail "the checkpoint written at SIGTERM does not verify: $out"
say "scancel: checkpoint $(cat "$run/checkpoints/LATEST"), exit 75, not requeued"

# sft.sbatch (2 data-parallel tasks) and eval.sbatch (one process): the model of the first read by the second.
# sft.sbatch and study.sbatch ask for USR1 300 s before their time limit (a checkpoint and a requeue):
# their jobs here get 10 minutes, so that the warning never comes while the tiny runs start (with a
# limit of 5 minutes it is due at once, and Slurm sends it within its first minute: a loaded machine
# then saw the study runs killed by it before bgpo had installed its handler).
model=$work/model
log=$work/sft.out
job=$(BGPO=$bgpo BGPO_MODEL_DIR=$model sbatch --parsable --time=00:10:00 --output="$log" slurm/sft.sbatch \
  --preset countdown-tiny --set model.preset=tiny --set model.d_model=0 --set model.mlp_hidden=0 --set model.max_seq=64 \
  --set sft.steps=3 --set sft.batch_size=4 --set rollout.max_completion_length=32 --set rollout.block_length=8 \
  --set rollout.diffusion_steps=4 --set task.test_size=2)
completes 120
[ -s "$model/model.json" ] || fail "sft.sbatch wrote no model to $model"
[ -s "$model/config.toml" ] || fail "sft.sbatch wrote no config.toml beside the model"
grep -q "2 rank(s)" "$log" || fail "sft.sbatch did not train on 2 ranks"
[ "$(grep -c "sft eval step" "$log")" -eq 1 ] || fail "sft.sbatch: expected one evaluation line, from rank 0 only"
log=$work/eval.out
job=$(BGPO=$bgpo sbatch --parsable --time=00:05:00 --output="$log" slurm/eval.sbatch \
  --model "$model" --task countdown --limit 2 --out "$work/eval.jsonl")
completes 120
grep -q "countdown test: accuracy" "$log" || fail "eval.sbatch printed no accuracy"
[ "$(grep -c . "$work/eval.jsonl")" -eq 2 ] || fail "eval.sbatch wrote no completions"
say "sft.sbatch and eval.sbatch: model written, evaluated"
# study.sbatch: a 2-task job array, one tiny 2-step run per task (entry "a", seeds 0 and 1).
cat > "$work/study.toml" <<STUDY
output_dir = "$work/study"
seeds = [0, 1]
overrides = ["model.preset=tiny", "model.max_seq=64", "sft.steps=0", "train.max_steps=2", "train.prompts_per_step=2",
             "train.eval_steps=0", "task.test_size=4", "task.eval_set=heldout", "rollout.num_generations=3",
             "rollout.max_completion_length=16", "rollout.block_length=8", "rollout.diffusion_steps=4"]

[[run]]
name = "a"
preset = "countdown-tiny"
STUDY
[ "$("$bgpo" study plan "$work/study.toml" --count)" = 2 ] || fail "bgpo study plan does not count 2 runs"
log=$work/study-%a.out
job=$(BGPO=$bgpo sbatch --parsable --array=0-1 --time=00:10:00 --output="$log" slurm/study.sbatch "$work/study.toml")
job=${job%%;*}
log=$work/study-1.out
for task in 0 1; do
  wait_for 180 "study array task $task" test -s "$work/study/a/seed-$task/checkpoints/LATEST"
  wait_for 60 "study array task $task's end" grep -q "batch: srun exited with status 0" "$work/study-$task.out"
  [ "$(cat "$work/study/a/seed-$task/checkpoints/LATEST")" = step-000002 ] || fail "study run $task did not complete 2 steps"
  grep -q "run $task (a, seed $task)" "$work/study-$task.out" || fail "array task $task did not run run $task"
done
status=$("$bgpo" study status "$work/study.toml" 2>/dev/null | cut -f3 | tr '\n' ' ')
[ "$status" = "complete (2) complete (2) " ] || fail "bgpo study status does not see both runs complete: $status"
"$bgpo" report --study "$work/study.toml" --table --out "$work/study.html" | grep -q "| a | final 2 | 2 |" \
  || fail "bgpo report did not pool the study's two seeds"
say "study.sbatch: 2 array tasks, seeds 0 and 1 complete (bgpo study status), pooled by bgpo report --study"
say "OK in $(( $(date +%s) - started )) s"
