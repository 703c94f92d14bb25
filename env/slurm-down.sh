#!/usr/bin/env bash
# Stops the one-node Slurm cluster that env/slurm-up.sh started: slurmd, slurmctld, and munged if
# slurm-up.sh started it. Each daemon is found by its pid file and checked by name before it is
# signalled; nothing is killed by name. Keeps BGPO_SLURM_DIR (state, logs) for the next start.
set -euo pipefail

dir=${BGPO_SLURM_DIR:-/var/lib/bgpo-slurm}
conf=$dir/slurm.conf

# Sends SIGTERM to the process in pid file $1 if its command is $2, and waits up to 15 s for it to end.
stop() {
  local pid
  [ -s "$1" ] || return 0
  pid=$(cat "$1")
  if [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" = "$2" ]; then
    kill -TERM "$pid"
    for _ in $(seq 150); do
      [ -d "/proc/$pid" ] || { echo "slurm-down: stopped $2 (pid $pid)"; return 0; }
      sleep 0.1
    done
    echo "slurm-down: $2 (pid $pid) still running after 15 s" >&2
    return 1
  fi
}

stop "$dir/run/slurmd.pid" slurmd
stop "$dir/run/slurmctld.pid" slurmctld
if [ -e "$dir/run/munged.ours" ]; then
  stop /run/munge/munged.pid munged
  rm -f "$dir/run/munged.ours"
fi
if [ "$(readlink /etc/slurm/slurm.conf 2>/dev/null)" = "$conf" ]; then
  rm -f /etc/slurm/slurm.conf
  echo "slurm-down: removed the link /etc/slurm/slurm.conf"
fi
