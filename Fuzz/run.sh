#!/usr/bin/env bash
# Builds the libFuzzer targets (this package, with -sanitize=fuzzer) and runs each for SECONDS
# (default 20) from its checked-in corpus, corpus/<target>/. New inputs go to a scratch folder, not
# the corpus. Any crash, broken property or input slower than 10 s stops the run: the input is kept
# as an artifact, and it belongs in regressions/<target>/ (replayed by `swift test`, FuzzReplayTests)
# once the decoder is fixed. FOLIO_FUZZ_SEED repeats a run (libFuzzer's -seed; printed either way).
#
#   Fuzz/run.sh [SECONDS] [TARGET…]        e.g. Fuzz/run.sh 300 prompt lockfile
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-20}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(prompt config lockfile gemini dashscope kling kling-omni)
seed=${FOLIO_FUZZ_SEED:-$(( $(date +%s) % 100000 + 1 ))}

# lld, not gold: gold fails on libFuzzer's archive. SwiftPM renames an executable's `main`, which
# libFuzzer defines; the target starts libFuzzer's driver itself (Sources/folio-fuzz/FuzzMain.swift).
flags=(-c debug -Xswiftc -sanitize=fuzzer -Xswiftc -use-ld=lld)
swift build "${flags[@]}" 2>&1 | grep -E "error:|Compiling folio|Build complete" || true
bin="$(swift build "${flags[@]}" --show-bin-path)/folio-fuzz"
[ -x "$bin" ] || { echo "fuzz: the build failed" >&2; exit 1; }

artifacts=${FOLIO_FUZZ_ARTIFACTS:-$PWD/.build/artifacts}
mkdir -p "$artifacts"
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
echo "fuzz: ${#targets[@]} targets, $seconds s each, -seed=$seed (FOLIO_FUZZ_SEED=$seed repeats it)"
total=0
failed=()
for target in "${targets[@]}"; do
    mkdir -p "$scratch/$target"
    set +e
    FOLIO_FUZZ_TARGET=$target SWIFT_BACKTRACE=enable=no "$bin" "$scratch/$target" "corpus/$target" \
        -seed="$seed" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=8192 \
        -dict=dict/"$([ "$target" = prompt ] || [ "$target" = config ] && echo yaml || echo json)".dict \
        -artifact_prefix="$artifacts/$target-" -print_final_stats=1 >"$scratch/$target.log" 2>&1
    status=$?
    set -e
    runs=$(grep -E "^stat::number_of_executed_units" "$scratch/$target.log" | awk '{print $2}')
    cov=$(grep -E "(DONE|INITED) +cov" "$scratch/$target.log" | tail -1 | sed -E 's/.*cov: ([0-9]+).*corp: ([0-9]+).*/\1 edges, \2 inputs/')
    printf 'fuzz: %-10s %9s executions  %s  exit %d\n' "$target" "${runs:-?}" "${cov:-}" "$status"
    total=$(( total + ${runs:-0} ))
    if [ "$status" -ne 0 ]; then
        failed+=("$target")
        grep -E "Fatal error|ERROR: libFuzzer|SUMMARY|Test unit written|Base64" "$scratch/$target.log" | head -8 >&2
    fi
done
echo "fuzz: $total executions in all"
if [ ${#failed[@]} -gt 0 ]; then
    echo "fuzz: failed: ${failed[*]}; artifacts in $artifacts — fix the decoder, then add each to regressions/<target>/" >&2
    exit 1
fi
