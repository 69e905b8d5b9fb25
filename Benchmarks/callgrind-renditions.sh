#!/usr/bin/env bash
# Instructions the image step spends per original, counted by callgrind (repeatable to the
# instruction, unlike wall time on a shared machine): Folio's renditions code (Sources/CVips)
# against bare libvips doing the same outputs. Needs valgrind and libvips-dev.
# Usage: Benchmarks/callgrind-renditions.sh FOLDER_OF_PNGS [COUNT=10]
# KEEP=1 keeps the callgrind files (callgrind_annotate them) in the printed folder.
set -euo pipefail
cd "$(dirname "$0")/.."
SOURCE=$1; COUNT=${2:-10}
WORK=$(mktemp -d /tmp/folio-callgrind.XXXXXX)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$WORK"' EXIT
cc -O2 -g -o "$WORK/harness" Benchmarks/renditions-harness.c Sources/CVips/renditions.c Sources/CVips/pngdecode.c Sources/CVips/cvips.c -ldeflate \
    -ISources/CVips/include $(pkg-config --cflags --libs vips)
mapfile -t ORIGINALS < <(find "$SOURCE" -maxdepth 1 -name '*.png' | sort | head -n "$COUNT")
for mode in folio floor; do
    mkdir -p "$WORK/$mode"
    valgrind --tool=callgrind --callgrind-out-file="$WORK/$mode.callgrind" "$WORK/harness" "$mode" "$WORK/$mode" "${ORIGINALS[@]}" 2>&1 |
        awk -v mode="$mode" -v n="${#ORIGINALS[@]}" '/Collected/ { gsub(",", "", $4); printf "%-5s %6.1f M instructions per original (%d originals)\n", mode, $4 / n / 1e6, n }'
done
[ -z "${KEEP:-}" ] || echo "callgrind files in $WORK"
