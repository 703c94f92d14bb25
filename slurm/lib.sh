# What bgpo's batch scripts share: sourced by slurm/*.sbatch, never run on its own.
#
# A batch script runs as a copy in Slurm's spool directory, so it finds this file through
# BGPO_HOME, the bgpo checkout (default: the directory sbatch was called from):
#
#   source "${BGPO_HOME:-$SLURM_SUBMIT_DIR}/slurm/lib.sh" || exit 64
#   bgpo_setup                                   # binary, threads, banner
#   bgpo_srun "$BGPO_BIN" train ... "$@"         # the job step, with stop signals forwarded
#   bgpo_finish                                  # requeue after exit 75, exit with the step's status
#
# Settings (environment variables, passed on by sbatch):
#   BGPO                    the bgpo binary (default: $BGPO_HOME/.build/release/bgpo, built with
#                           `swift build -c release --static-swift-stdlib` so that nodes need no Swift)
#   BGPO_MAX_RESTARTS       requeue at most this many times (default 20)

# Checks the binary, passes the CPUs per task on to srun, and prints where and what runs. The
# OpenBLAS kernels are bgpo's to choose (each rank checks them against its CPU at start and says
# so); an OPENBLAS_CORETYPE in the environment is kept, with a warning when it is slower.
# Sets BGPO_HOME and BGPO_BIN.
bgpo_setup() {
  BGPO_HOME=${BGPO_HOME:-$SLURM_SUBMIT_DIR}
  BGPO_BIN=${BGPO:-$BGPO_HOME/.build/release/bgpo}
  if [ ! -x "$BGPO_BIN" ]; then
    echo "batch: $BGPO_BIN is not an executable; build it (swift build -c release --static-swift-stdlib) or set BGPO" >&2
    exit 64
  fi
  # Since Slurm 22.05 srun no longer inherits sbatch's --cpus-per-task; each rank reads its
  # BLAS thread count from SLURM_CPUS_PER_TASK, which srun sets from this.
  if [ -n "${SLURM_CPUS_PER_TASK:-}" ]; then
    export SRUN_CPUS_PER_TASK=$SLURM_CPUS_PER_TASK
  fi
  echo "batch: job $SLURM_JOB_ID run $((${SLURM_RESTART_COUNT:-0} + 1)) on $(hostname) at $(date -Is):" \
    "${SLURM_NTASKS:-1} task(s) x ${SLURM_CPUS_PER_TASK:-1} CPU(s), $BGPO_BIN," \
    "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-(unset: bgpo chooses)}"
}

# Runs `srun --mpi=pmix --kill-on-bad-exit=1 "$@"` as the job step and waits for it, forwarding
# SIGUSR1, SIGUSR2 and SIGTERM to srun (which passes them to every task). Sets BGPO_STATUS to
# srun's exit status and BGPO_SIGNAL to the last signal forwarded (empty if none).
#
# bash runs a trap only between commands, so srun runs in the background and the shell waits for
# it; a trapped signal ends `wait` early, is forwarded, and the shell waits again.
# --kill-on-bad-exit ends the whole step as soon as one task fails.
bgpo_srun() {
  srun --mpi=pmix --kill-on-bad-exit=1 "$@" &
  BGPO_SRUN_PID=$!
  BGPO_SIGNAL=
  trap '_bgpo_forward USR1' USR1
  trap '_bgpo_forward USR2' USR2
  trap '_bgpo_forward TERM' TERM
  BGPO_STATUS=127
  local rc
  while :; do
    _bgpo_forwarded=
    wait "$BGPO_SRUN_PID"
    rc=$?
    [ "$rc" -eq 127 ] && break          # already reaped: BGPO_STATUS holds srun's exit status
    BGPO_STATUS=$rc
    [ -n "$_bgpo_forwarded" ] && [ "$rc" -gt 128 ] || break
  done
  trap - USR1 USR2 TERM
  echo "batch: srun exited with status $BGPO_STATUS at $(date -Is)"
}

_bgpo_forward() {
  echo "batch: SIG$1 received at $(date -Is), forwarding to srun"
  _bgpo_forwarded=1
  BGPO_SIGNAL=$1
  kill -s "$1" "$BGPO_SRUN_PID" 2>/dev/null
}

# Exits with the job step's status; first, on 75 (stopped early with a checkpoint), puts the job
# back in the queue so that the same script resumes it. Slurm holds a requeued job for about two
# minutes (release it sooner with `scontrol update JobId=<id> StartTime=now`). Not after SIGTERM:
# that is `scancel` (or the time limit itself), and a cancelled job stays cancelled.
bgpo_finish() {
  if [ "$BGPO_STATUS" -eq 75 ]; then
    if [ "$BGPO_SIGNAL" = TERM ]; then
      echo "batch: not requeueing: stopped by SIGTERM (scancel or the time limit)"
    elif [ "${SLURM_RESTART_COUNT:-0}" -ge "${BGPO_MAX_RESTARTS:-20}" ]; then
      echo "batch: not requeueing: ${SLURM_RESTART_COUNT:-0} restarts already (BGPO_MAX_RESTARTS)" >&2
    else
      # Slurm ends this script as soon as the requeue takes effect: say it first.
      echo "batch: requeueing job $SLURM_JOB_ID at $(date -Is)"
      scontrol requeue "$SLURM_JOB_ID" || echo "batch: scontrol requeue $SLURM_JOB_ID failed" >&2
    fi
  fi
  exit "$BGPO_STATUS"
}
