#!/usr/bin/env bash
# Generation throughput (issue #4): N prompts against `folio sim` answering every request in exactly
# L seconds, with --jobs C. Ideal wall time is N·L/C; target within 10 %, peak memory under 150 MB.
# Release mode. Prints the measured wall time, its ratio to N·L/C, peak RSS, and a no-op rebuild.
# FOLIO=/path/to/folio times that binary instead of building one.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000}
L=${L:-0.2}
C=${C:-8}

command -v /usr/bin/time >/dev/null || { echo "needs /usr/bin/time (apt-get install -y time)"; exit 1; }
if [ -z "${FOLIO:-}" ]; then
    swift build -c release --product folio >/dev/null
    FOLIO="$(swift build -c release --show-bin-path)/folio"
fi

WORK=$(mktemp -d)
SIM_PID=""
cleanup() { [ -n "$SIM_PID" ] && kill "$SIM_PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT

mkdir -p "$WORK/prompts"
for i in $(seq 1 "$N"); do
    printf -- '---\nroute: gemini\naspect_ratio: "1:1"\n---\nBenchmark image %d: a lighthouse at dusk\n' "$i" > "$WORK/prompts/p-$i.md"
done

# `folio sim --latency L` (hidden from --help: it is for benchmarks) answers every gateway request in
# exactly L real seconds. The routes' own durations cannot give a fixed L: Gemini answers in 8 ± 3
# simulated seconds, drawn anew per request, and --time-scale only shrinks that spread. The time
# scale stays at 1 here: --latency is divided by it and then multiplied back, so 0 would zero L.
"$FOLIO" sim --latency "$L" --image-scale 16 --key bench-key > "$WORK/sim.url" 2>/dev/null &
SIM_PID=$!
for _ in $(seq 1 100); do [ -s "$WORK/sim.url" ] && break; sleep 0.05; done
BASE=$(head -1 "$WORK/sim.url")

export ANYINT_BASE_URL="$BASE" ANYINT_API_KEY=bench-key
/usr/bin/time -f "%e %M" -o "$WORK/time.txt" "$FOLIO" generate --project "$WORK" --jobs "$C" --quiet >/dev/null || true
read -r WALL RSS_KB < "$WORK/time.txt"
IDEAL=$(echo "$N * $L / $C" | bc -l)
/usr/bin/time -f "%e %M" -o "$WORK/noop.txt" "$FOLIO" generate --project "$WORK" --jobs "$C" --quiet >/dev/null
read -r NOOP NOOP_KB < "$WORK/noop.txt"
IMAGES=$(ls "$WORK/assets" | wc -l)

printf 'generate: %d prompts, L = %s s, --jobs %d: %.2f s wall, ideal N·L/C = %.2f s, ratio %.3f (target ≤ 1.10)\n' "$N" "$L" "$C" "$WALL" "$IDEAL" "$(echo "$WALL / $IDEAL" | bc -l)"
printf 'peak memory: %.1f MB (target < 150 MB); %d images in assets/\n' "$(echo "$RSS_KB / 1024" | bc -l)" "$IMAGES"
printf 'no-op rebuild: %.2f s, %.1f MB\n' "$NOOP" "$(echo "$NOOP_KB / 1024" | bc -l)"
