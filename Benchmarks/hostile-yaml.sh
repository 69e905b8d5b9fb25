#!/usr/bin/env bash
# `folio check` on the alias bomb (a 1 KB prompt file whose aliases stand for 9^10 values) and on a
# 2 MB prompt file: wall time and peak memory of the release binary. Targets: < 1 s, < 100 MB.
set -euo pipefail
cd "$(dirname "$0")/.."
swift build -c release --product folio >/dev/null
folio=.build/release/folio
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/big/prompts"
head -c 2000000 /dev/zero | tr '\0' 'a' > "$work/big/prompts/big.md"
for project in Tests/Fixtures/invalid/yaml-alias-bomb "$work/big"; do
  start=$(date +%s.%N)
  set +e
  /usr/bin/time -f '%M' -o "$work/rss" "$folio" check --project "$project" >/dev/null 2>&1
  status=$?
  set -e
  end=$(date +%s.%N)
  printf '%-40s exit %d  %.3f s  %d MB peak\n' "$(basename "$project")" "$status" "$(echo "$end - $start" | bc)" "$(( $(grep -E "^[0-9]+$" "$work/rss" | tail -1) / 1024 ))"
done
