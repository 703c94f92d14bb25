#!/usr/bin/env bash
# Builds the fuzz targets (Tests/Fuzz: libFuzzer + AddressSanitizer) and runs each for a while,
# starting from its seed corpus in Tests/Fuzz/Corpus/<target>. Fails when any target finds a crash.
#
#   env/fuzz.sh                          every target for 5 s (about a minute; run by env/run-tests.sh)
#   env/fuzz.sh --seconds 600            a long campaign: 10 min per target
#   env/fuzz.sh --seconds 60 countdown   only the named targets
#   env/fuzz.sh --list                   the target names
#
# Inputs found and crash artifacts go to $BGPO_FUZZ_OUT (default ${TMPDIR:-/tmp}/bgpo-fuzz), never
# into the source tree: <target>/corpus holds new inputs, <target>/crash-*, timeout-*, oom-* the
# findings. Reproduce one with
#   BGPO_FUZZ_TARGET=<target> .build-fuzz/release/bgpo-fuzz <artifact>
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=5
list=false
targets=()
while (($#)); do
    case "$1" in
        --seconds) seconds="${2:?--seconds needs a number}"; shift 2 ;;
        --list) list=true; shift ;;
        -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "fuzz.sh: unknown option $1" >&2; exit 64 ;;
        *) targets+=("$1"); shift ;;
    esac
done
[[ "$seconds" =~ ^[1-9][0-9]*$ ]] || { echo "fuzz.sh: --seconds must be a positive integer, got '$seconds'" >&2; exit 64; }

all=(safetensors-header safetensors-file safetensors-zstd manifest training-state sft-state run-config hf-config
     tokenizer countdown gsm8k sudoku score-records)
if $list; then printf '%s\n' "${all[@]}"; exit 0; fi
((${#targets[@]})) || targets=("${all[@]}")
for t in "${targets[@]}"; do
    [[ -d "Tests/Fuzz/Corpus/$t" ]] || { echo "fuzz.sh: unknown target '$t' (see --list)" >&2; exit 64; }
done

# The sanitizers instrument the Swift code of every module (the C and C++ of the dependencies stay
# uninstrumented); -enable-testing lets the targets reach internal parsers; lld links it (gold fails
# on the sanitizer build with an internal error).
BGPO_FUZZ=1 swift build -c release --scratch-path .build-fuzz --product bgpo-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -enable-testing -Xswiftc -use-ld=lld
binary=.build-fuzz/release/bgpo-fuzz

out="${BGPO_FUZZ_OUT:-${TMPDIR:-/tmp}/bgpo-fuzz}"
failed=()
for t in "${targets[@]}"; do
    mkdir -p "$out/$t/corpus"
    echo "fuzz.sh: $t for ${seconds} s (findings in $out/$t)"
    # Leak checking is off: the Swift runtime's caches read as leaks.
    # Swift's own backtracer is off: it reads memory AddressSanitizer then reports as an overflow.
    if ! BGPO_FUZZ_TARGET="$t" SWIFT_BACKTRACE=enable=no ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=0}" \
        "$binary" "$out/$t/corpus" "Tests/Fuzz/Corpus/$t" -max_total_time="$seconds" -timeout=30 \
        -rss_limit_mb=2048 -detect_leaks=0 -print_final_stats=1 -artifact_prefix="$out/$t/" \
        > "$out/$t/log" 2>&1; then
        failed+=("$t")
        tail -n 40 "$out/$t/log" >&2
    fi
    grep -h "stat::number_of_executed_units" "$out/$t/log" | sed "s/^/fuzz.sh: $t: /" || true
done
if ((${#failed[@]})); then
    echo "fuzz.sh: findings in: ${failed[*]} (artifacts and logs under $out)" >&2
    exit 1
fi
echo "fuzz.sh: no findings in ${#targets[@]} targets"
