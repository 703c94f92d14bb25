#!/usr/bin/env bash
# Installs PyTorch (CPU), safetensors and numpy into a private virtual environment for the PyTorch
# reference (env/reference/) and `bgpo bench compare`. Nothing else uses it: bgpo and its tests do
# not need Python.
#
# The venv is .build/torch-venv (override with BGPO_TORCH_VENV=DIR). Idempotent: a venv that already
# imports torch, safetensors and numpy is left alone. PyTorch comes from the CPU wheel index
# (https://download.pytorch.org/whl/cpu, about 200 MB); if that index is unreachable, from PyPI,
# whose torch wheel also pulls the CUDA libraries (about 5 GB). Prints the venv's python.
set -euo pipefail
cd "$(dirname "$0")/.."

venv="${BGPO_TORCH_VENV:-.build/torch-venv}"
python="$venv/bin/python"
check='import torch, safetensors, numpy; print("setup-torch: torch", torch.__version__, "in", __import__("sys").prefix)'

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
# The CPU index's "+cpu" wheel outranks PyPI's when both answer; if the CPU index is unreachable,
# pip warns and takes PyPI's torch.
"${pip[@]}" --retries 1 --timeout 20 --index-url https://download.pytorch.org/whl/cpu \
  --extra-index-url https://pypi.org/simple torch >&2
"${pip[@]}" safetensors numpy >&2
"$python" -c "$check" >&2
echo "$python"
