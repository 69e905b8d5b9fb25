#!/usr/bin/env bash
# CI's slow step, "soaks and fuzzing" (issue 12), after `swift test` has built the debug `folio`:
#   1. the libFuzzer targets, each time-boxed, from the checked-in corpus (Fuzz/run.sh);
#   2. the crash soak: a 200-prompt build killed 30 times with SIGKILL, then completed (crash_soak.py);
#   3. the fault soak: 10 % faults of every kind on every route (fault_soak.py);
#   4. the secrets check: the key the soaks used is in no file they left and in no output.
# Figures go to standard output and to $work/*.json. Environment: FOLIO (binary, default
# .build/debug/folio), FOLIO_FUZZ_SECONDS (per target, default 20), FOLIO_FUZZ_SEED and
# FOLIO_SOAK_SEED (repeat a run; both are printed), FOLIO_SOAK_KEEP=1 (keep the work folder).
set -euo pipefail
cd "$(dirname "$0")/../.."
folio=$(realpath "${FOLIO:-.build/debug/folio}")
work=$(mktemp -d /tmp/folio-soak.XXXXXX)
[ "${FOLIO_SOAK_KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT
# A key made for this run: finding it anywhere afterwards means something wrote it there.
export FOLIO_SOAK_KEY="sk-soak-$(od -An -tx1 -N12 /dev/urandom | tr -d ' \n')"
started=$(date +%s)
touch "$work/.started"

step() {
    local name=$1
    shift
    local t0=$(date +%s)
    "$@" 2>&1 | tee -a "$work/output.txt"
    echo "[$name: $(( $(date +%s) - t0 )) s]" | tee -a "$work/output.txt"
}
step fuzzing Fuzz/run.sh "${FOLIO_FUZZ_SECONDS:-20}"
step "crash soak" python3 Tests/Soak/crash_soak.py "$folio" "$work"
step "fault soak" python3 Tests/Soak/fault_soak.py "$folio" "$work"

# Everything the soaks left — projects, lockfiles, sites, the simulator's log, every run's output,
# this step's own output — the files of the checkout, and anything written meanwhile elsewhere in
# /tmp or the home folder (caches, logs; build folders aside).
leaks=$(
    {
        grep -rlF -- "$FOLIO_SOAK_KEY" "$work"
        git ls-files -z -co --exclude-standard | xargs -0 grep -lF -- "$FOLIO_SOAK_KEY"
        find /tmp "$HOME" -xdev -type f -newer "$work/.started" -not -path "$work/*" -not -path "*/.build/*" -print0 |
            xargs -0 grep -lF -- "$FOLIO_SOAK_KEY"
    } 2>/dev/null | sort -u || true
)
if [ -n "$leaks" ]; then
    echo "FAIL: the test key was written to:" >&2
    echo "$leaks" >&2
    exit 1
fi
echo "secrets: the test key is in none of the $(find "$work" -type f | wc -l) files the soaks left, nor in their output"
echo "soaks and fuzzing: $(( $(date +%s) - started )) s"
