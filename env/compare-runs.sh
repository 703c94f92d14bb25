#!/usr/bin/env bash
# Refactoring check: runs the same short countdown-tiny run (30 SFT steps, 4 RL steps, checkpoints
# at steps 2 and 4, 1 thread) with two bgpo binaries, each in turn in OUT_DIR/run (then moved to
# OUT_DIR/old and OUT_DIR/new, so that the recorded output directory is the same), and compares
# metrics.jsonl (timing and memory keys aside) and every checkpoint file byte for byte.
#
#   bash env/compare-runs.sh OLD_BGPO NEW_BGPO OUT_DIR     # OUT_DIR must not exist
#
# Build the old binary from the commit before the change (a git worktree) and copy it aside first.
# Exits 0 when both runs succeed and everything compared is identical, 1 otherwise.
set -uo pipefail
if [ $# -ne 3 ]; then echo "usage: bash env/compare-runs.sh OLD_BGPO NEW_BGPO OUT_DIR" >&2; exit 64; fi
old=$1 new=$2 out=$3
if [ -e "$out" ]; then echo "compare-runs: $out exists; give a new directory" >&2; exit 64; fi
mkdir -p "$out" || exit 74
args=(train --preset countdown-tiny --threads 1 --set sft.steps=30 --set train.max_steps=4 --set train.eval_steps=2
      --set train.eval_limit=16 --set checkpoint.save_steps=2 --set checkpoint.save_total_limit=10)
for side in old new; do
  binary=${!side}
  nice "$binary" "${args[@]}" --output-dir "$out/run" > "$out/$side.log" 2>&1
  status=$?
  echo "compare-runs: $side exited with $status (log $out/$side.log)"
  [ "$status" -eq 0 ] || exit 1
  mv "$out/run" "$out/$side" || exit 74
done
python3 - "$out" <<'PY'
import hashlib, json, os, sys
out = sys.argv[1]
def timing(key):
    return key.startswith("timing") or key in ("step_time", "tokens_per_s") or "rss" in key or key.endswith("_s")
def metrics(side):
    with open(f"{out}/{side}/metrics.jsonl") as f:
        return [{k: v for k, v in json.loads(line).items() if not timing(k)} for line in f]
def checkpoint_files(side):
    base, files = f"{out}/{side}", {}
    for directory, _, names in os.walk(base):
        if "step-" in directory:
            for name in names:
                path = os.path.join(directory, name)
                with open(path, "rb") as f:
                    files[os.path.relpath(path, base)] = hashlib.sha256(f.read()).hexdigest()
    return files
a, b = metrics("old"), metrics("new")
print(f"metrics.jsonl: {len(a)} and {len(b)} records, " + ("identical" if a == b else "DIFFERENT"))
fa, fb = checkpoint_files("old"), checkpoint_files("new")
differing = sorted(k for k in set(fa) | set(fb) if fa.get(k) != fb.get(k))
print(f"checkpoint files: {len(fa)} and {len(fb)}, {len(fa) - len(differing)} identical")
for name in differing:
    print(f"  differs: {name}")
sys.exit(0 if a == b and not differing else 1)
PY
