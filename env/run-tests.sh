#!/usr/bin/env bash
# Sets up the machine, builds bgpo (release) and runs every test, fuzzes each parser for 5 s
# (env/fuzz.sh: its own sanitizer build in .build-fuzz), then a real Slurm job
# (env/test-slurm.sh: brings up a one-node Slurm, installing it when missing; about 50 s).
set -euo pipefail
cd "$(dirname "$0")/.."
bash env/setup.sh
swift build -c release
swift test -c release
bash env/fuzz.sh
bash env/test-slurm.sh
