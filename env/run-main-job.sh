#!/usr/bin/env bash
# Sets up the machine, builds the release binary with the Swift runtime linked statically,
# and runs the main job.
set -euo pipefail
cd "$(dirname "$0")/.."
bash env/setup.sh
swift build -c release --static-swift-stdlib --scratch-path .build/static
bin=.build/static/release/bgpo
# OpenBLAS picks AVX-512 kernels by itself on CPUs that have them; a preset Haswell core halves speed.
unset OPENBLAS_CORETYPE
"$bin" bench model --preset small --threads "$(nproc)"
