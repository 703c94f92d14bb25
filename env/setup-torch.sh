#!/usr/bin/env bash
# Installs PyTorch (CPU), safetensors and numpy, and any packages named as arguments (the PEFT
# interop test asks for peft), into a private virtual environment for the PyTorch reference
# (env/reference/), `bgpo bench compare` and the PEFT interop test. bgpo itself does not need Python.
#
#   bash env/setup-torch.sh [PACKAGE]...
#
# The venv is .build/torch-venv (override with BGPO_TORCH_VENV=DIR). Idempotent: a venv that already
# imports torch, safetensors, numpy and the named packages is left alone. PyTorch comes from the CPU
# wheel index (https://download.pytorch.org/whl/cpu, about 200 MB); if that index is unreachable,
# from a local CPU wheel that pip's configuration points at (find-links) with its dependencies from
# PyPI; failing both, from PyPI, whose torch wheel also pulls the CUDA libraries (about 5 GB).
# Prints the venv's python.
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${BGPO_TORCH_VENV:-.build/torch-venv}"
python="$venv/bin/python"
extra=("$@")
modules=""
if [ ${#extra[@]} -gt 0 ]; then modules=$(printf ', %s' "${extra[@]}"); fi
check="import torch, safetensors, numpy${modules}; print('setup-torch: torch', torch.__version__, 'in', __import__('sys').prefix)"

if [ -x "$python" ] && "$python" -c "$check" >&2 2>/dev/null; then
  echo "$python"
  exit 0
fi

command -v python3 >/dev/null || { echo "setup-torch: no python3 on PATH (apt-get install python3 python3-venv)" >&2; exit 1; }
if [ ! -x "$python" ]; then
  python3 -m venv "$venv" || { echo "setup-torch: python3 -m venv failed (apt-get install python3-venv)" >&2; exit 1; }
fi
pip=("$python" -m pip install --quiet --disable-pip-version-check)
"${pip[@]}" --upgrade pip >&2
if ! "$python" -c 'import torch' 2>/dev/null; then
  if ! "${pip[@]}" --retries 1 --timeout 20 --index-url https://download.pytorch.org/whl/cpu torch >&2; then
    echo "setup-torch: the CPU wheel index is unreachable; trying a local CPU wheel (pip find-links), else PyPI" >&2
    # A local wheel without its dependencies, then the dependencies (torch itself is then satisfied).
    "${pip[@]}" --no-index --no-deps torch >&2 || true
    "${pip[@]}" torch >&2
  fi
fi
"${pip[@]}" safetensors numpy "${extra[@]+"${extra[@]}"}" >&2
"$python" -c "$check" >&2
echo "$python"
