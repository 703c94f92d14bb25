#!/usr/bin/env bash
# Starts a one-node Slurm cluster on this machine (munged, slurmctld, slurmd) to run bgpo's batch
# scripts for real. Needs root. Installs slurm-wlm and munge when missing.
#
# Everything Slurm writes lives in BGPO_SLURM_DIR (default /var/lib/bgpo-slurm): slurm.conf,
# controller state, slurmd spool, logs, pid files, the job completion log (jobcomp.log).
# Slurm's client commands (sinfo, sbatch, srun, squeue) read /etc/slurm/slurm.conf unless SLURM_CONF
# says otherwise: when that file does not exist, this script links it to the private slurm.conf
# (env/slurm-down.sh removes the link again); an existing /etc/slurm/slurm.conf is never touched,
# and the script then prints the SLURM_CONF line to export instead.
# munged is reused when one is already running; otherwise it is started and later stopped by
# env/slurm-down.sh. Stop everything with env/slurm-down.sh (by pid file, never by name).
set -euo pipefail

dir=${BGPO_SLURM_DIR:-/var/lib/bgpo-slurm}
conf=$dir/slurm.conf
system_conf=/etc/slurm/slurm.conf
munge_pid=/run/munge/munged.pid

[ "$(id -u)" -eq 0 ] || { echo "slurm-up: run as root (the daemons and apt-get need it)" >&2; exit 1; }

missing=()
for p in slurm-wlm munge; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "slurm-up: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq </dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
fi

# True when the pid file names a live process whose command is $2.
running() {
  local pid
  [ -s "$1" ] || return 1
  pid=$(cat "$1")
  [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" = "$2" ]
}

mkdir -p "$dir/state" "$dir/spool" "$dir/log" "$dir/run"

# The node as slurmd detects it (CPUs, sockets, cores, threads, memory), renamed localhost.
hardware=$(slurmd -C | head -n 1 | sed -e 's/^NodeName=[^ ]* //')
cat > "$conf" <<CONF
# Written by env/slurm-up.sh: a one-node cluster for trying bgpo's batch scripts.
ClusterName=local
SlurmctldHost=localhost
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/log/jobcomp.log
ProctrackType=proctrack/pgid
TaskPlugin=task/affinity
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=pmix
ReturnToService=2
NodeName=localhost NodeAddr=127.0.0.1 $hardware State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF

if [ ! -e "$system_conf" ] && [ ! -L "$system_conf" ]; then
  mkdir -p "$(dirname "$system_conf")"
  ln -s "$conf" "$system_conf"
  echo "slurm-up: linked $system_conf -> $conf"
elif [ "$(readlink "$system_conf")" != "$conf" ]; then
  echo "slurm-up: $system_conf exists and is left alone; run: export SLURM_CONF=$conf"
fi
export SLURM_CONF=$conf

if running "$munge_pid" munged; then
  echo "slurm-up: munged already running (pid $(cat "$munge_pid")), reusing it"
else
  [ -s /etc/munge/munge.key ] || { mungekey --create --keyfile=/etc/munge/munge.key; chown munge:munge /etc/munge/munge.key; chmod 400 /etc/munge/munge.key; }
  install -d -o munge -g munge -m 0755 /run/munge
  runuser -u munge -- /usr/sbin/munged
  touch "$dir/run/munged.ours"
fi

running "$dir/run/slurmctld.pid" slurmctld || slurmctld -f "$conf"
running "$dir/run/slurmd.pid" slurmd || slurmd -f "$conf" -N localhost

for _ in $(seq 60); do
  state=$(sinfo -h -n localhost -o %T 2>/dev/null || true)
  if [ "$state" = idle ]; then
    echo "slurm-up: node localhost idle; config $conf, logs $dir/log"
    exit 0
  fi
  sleep 0.5
done
echo "slurm-up: node not idle after 30 s (state '${state:-none}'); see $dir/log" >&2
exit 1
