#!/usr/bin/env bash
# Installs the system libraries bgpo links against (Debian/Ubuntu), only when they are missing.
# On a machine that already has them this is a no-op. See env/CLUSTERS.md for sites with modules.
set -euo pipefail

packages=(libopenmpi-dev openmpi-bin libopenblas-dev libzstd-dev zstd pkg-config)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup: need root or sudo to install ${missing[*]} (see env/CLUSTERS.md)" >&2; exit 1; }
    sudo="sudo"
  fi
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq </dev/null
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null >/dev/null
fi

command -v swift >/dev/null || { echo "setup: no 'swift' on PATH; install Swift 6.0 or later from swift.org" >&2; exit 1; }
