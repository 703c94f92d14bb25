#!/usr/bin/env bash
# Sets up the machine, builds bgpo (release) and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash env/setup.sh
swift build -c release
swift test -c release
