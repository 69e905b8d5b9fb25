#!/usr/bin/env bash
# Folio beside Hugo, sigal and libvips alone (issue #13), on realistic images, in one run.
#
# The corpus: N prompts (default 1000) generated against `folio sim --image-detail photo`, 1024×1024
# PNGs with photographic detail (about 1.5 MB each, as the providers return), cached under /tmp by
# N and detail. Then ROUNDS rounds (default 3), the tools in alternating order (reversed every
# other round), each with its outputs matched to Folio's:
#   - Folio render, widths [400, 1024] JPEG: first build (no site/), no-op rebuild, one prompt's
#     title edited; and widths [200, 640] JPEG, first build, for sigal.
#   - Hugo (Debian `hugo`): Benchmarks/hugo-site/, one page per image, a 400 px and a 1024 px JPEG,
#     built from nothing each round (its resources/ and public/ deleted: no warm cache).
#   - sigal (PyPI `sigal`): Benchmarks/sigal.conf.py, 640 px and 200 px JPEG, 2 processes.
#   - the floor: Benchmarks/floor.py, libvips through pyvips, decode once and encode each output
#     (400 and 1024 px JPEG), 2 processes.
# Every tool publishes the originals beside its JPEGs (Folio does), at quality 82.
# Prints a Markdown table (median and range of the wall time, images per second, peak memory), the
# ratios Folio/Hugo, Folio/sigal and Folio/floor paired per round (the median of each round's
# ratio), and what each tool wrote, to check that the outputs match.
#
#   N=1000 ROUNDS=3 Benchmarks/compare.sh
# FOLIO=/path/to/folio times that binary instead of building the release one; FOLIO_BENCH_PYTHON is
# the Python with sigal and pyvips (default /tmp/folio-bench/bin/python); KEEP=1 keeps the outputs;
# HOLD_BUILD_LOCK=1 holds /tmp/folio-build.lock while timing.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
N=${N:-1000}
ROUNDS=${ROUNDS:-3}
DETAIL=${DETAIL:-photo}
PY=${FOLIO_BENCH_PYTHON:-/tmp/folio-bench/bin/python}
CORPUS=${CORPUS:-/tmp/folio-compare-corpus-$N-$DETAIL}

# Nothing is installed behind the user's back: say what is missing and how to get it.
missing=()
command -v hugo >/dev/null || missing+=("sudo apt-get install -y hugo")
[ -x /usr/bin/time ] || missing+=("sudo apt-get install -y time")
if ! [ -x "$PY" ] || ! "$PY" -c 'import sigal, pyvips' 2>/dev/null; then
    missing+=("python3 -m venv /tmp/folio-bench && /tmp/folio-bench/bin/pip install sigal pyvips   # or FOLIO_BENCH_PYTHON=<a python with both>")
fi
if [ ${#missing[@]} -gt 0 ]; then
    echo "compare.sh needs, first:" >&2
    printf '  %s\n' "${missing[@]}" >&2
    exit 1
fi
SIGAL="$(dirname "$PY")/sigal"

WORK=$(mktemp -d /tmp/folio-compare.XXXXXX)
SIM=
cleanup() {
    [ -n "$SIM" ] && kill "$SIM" 2>/dev/null
    if [ "${KEEP:-0}" = 1 ]; then echo "outputs kept in $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

GIVEN_FOLIO=${FOLIO:-}
# The binary timed is a copy: a rebuild in this tree during the run cannot change it.
if [ -z "${FOLIO:-}" ]; then
    if ! flock /tmp/folio-build.lock swift build -c release --product folio >"$WORK/build.log" 2>&1; then
        echo "the release build failed:" >&2
        tail -30 "$WORK/build.log" >&2
        exit 1
    fi
    cp "$(swift build -c release --show-bin-path 2>/dev/null)/folio" "$WORK/folio"
    BUILT="commit $(git rev-parse --short HEAD)"
    [ -z "$(git status --porcelain -- Sources Package.swift)" ] || BUILT="$BUILT plus uncommitted changes in Sources/"
else
    cp "$FOLIO" "$WORK/folio"
    BUILT="given as FOLIO=$FOLIO"
fi
FOLIO="$WORK/folio"
if ! "$FOLIO" sim --help | grep -q -- --image-detail; then
    echo "this folio's simulator has no --image-detail option: build a newer Folio (issue #13)" >&2
    exit 1
fi

# The corpus: generated once into a partial folder, kept only when every prompt has its image.
make_corpus() {
    local partial="$CORPUS.partial"
    rm -rf "$partial"
    mkdir -p "$partial/prompts"
    for i in $(seq 1 "$N"); do
        printf -- '---\ntitle: Benchmark image %d\nroute: kling\naspect_ratio: "1:1"\nresolution: 1k\ntags: [t%d]\n---\nBenchmark image %d, a lighthouse at dusk\n' \
            "$i" "$((i % 20))" "$i" >"$partial/prompts/p-$i.md"
    done
    # Simulated durations at 1/1000: Kling's half-minute tasks take milliseconds, and the image
    # URLs still live long enough to download.
    "$FOLIO" sim --time-scale 0.001 --key bench --image-detail "$DETAIL" >"$WORK/sim.url" 2>"$WORK/sim.log" &
    SIM=$!
    for _ in $(seq 1 100); do [ -s "$WORK/sim.url" ] && break; sleep 0.05; done
    ANYINT_BASE_URL=$(head -1 "$WORK/sim.url") ANYINT_API_KEY=bench FOLIO_TIME_SCALE=0.001 \
        "$FOLIO" generate --project "$partial" --jobs 8 --quiet
    kill "$SIM"
    SIM=
    local made
    made=$(find "$partial/assets" -name '*.png' | wc -l)
    [ "$made" = "$N" ] || { echo "the corpus has $made images, not $N" >&2; exit 1; }
    rm -f "$partial/.folio/run.lock"
    rm -rf "$CORPUS"
    mv "$partial" "$CORPUS"
}
if [ ! -f "$CORPUS/folio.lock" ]; then
    echo "generating the corpus: $N prompts, --image-detail $DETAIL, into $CORPUS" >&2
    make_corpus
fi
CORPUS_MB=$(du -sm --apparent-size "$CORPUS/assets" | cut -f1)

# A Folio project over the corpus, rendering the given widths as JPEG: the prompts and folio.lock
# copied, the originals hard-linked (they stay inside the project), `.folio/` as generation left it.
folio_project() { # folder widths
    mkdir -p "$1"
    cp -r "$CORPUS/prompts" "$CORPUS/folio.lock" "$1/"
    cp -al "$CORPUS/assets" "$1/assets"
    printf 'title: Bench\nimages:\n  widths: %s\n  formats: [jpeg]\npagination: 60\n' "$2" >"$1/folio.yml"
}
folio_project "$WORK/folio-hugo" "[400, 1024]"
folio_project "$WORK/folio-sigal" "[200, 640]"

# Hugo's content: one page bundle per prompt, its original hard-linked beside index.md.
"$PY" - "$CORPUS" "$WORK/hugo/content" <<'PY'
import json, os, sys
corpus, content = sys.argv[1], sys.argv[2]
for prompt, entry in json.load(open(f"{corpus}/folio.lock"))["entries"].items():
    os.makedirs(f"{content}/{prompt}")
    for output in entry["outputs"]:
        os.link(f"{corpus}/{output['file']}", f"{content}/{prompt}/{os.path.basename(output['file'])}")
    with open(f"{content}/{prompt}/index.md", "w") as page:
        page.write(f'---\ntitle: "Benchmark image {prompt}"\n---\nBenchmark image {prompt}, a lighthouse at dusk\n')
PY
mkdir -p "$WORK/sigal"
cp -al "$CORPUS/assets" "$WORK/sigal/pictures"

RESULTS="$WORK/results.txt"
: >"$RESULTS"
# timed ROUND LABEL COMMAND…: wall seconds and peak resident KB, appended to the results.
timed() {
    local round=$1 label=$2
    shift 2
    if ! /usr/bin/time -f "%e %M" -o "$WORK/time.txt" "$@" >"$WORK/$label.log" 2>&1; then
        echo "$label failed:" >&2
        tail -20 "$WORK/$label.log" >&2
        exit 1
    fi
    local seconds kb
    read -r seconds kb <"$WORK/time.txt"
    echo "$round $label $seconds $kb" >>"$RESULTS"
    printf '  round %d  %-16s %8.2f s %7.0f MB\n' "$round" "$label" "$seconds" "$((kb / 1024))" >&2
}

# Each step starts from nothing of its own: no output, no cache.
step_folio_hugo() {
    local project="$WORK/folio-hugo"
    rm -rf "$project/site" "$project/.folio"
    cp -r "$CORPUS/.folio" "$project/.folio"
    timed "$1" folio-first "$FOLIO" render --project "$project" --quiet
    timed "$1" folio-noop "$FOLIO" render --project "$project" --quiet
    sed -i "s/^title: .*/title: Benchmark image 1, edited in round $1/" "$project/prompts/p-1.md"
    timed "$1" folio-one-edit "$FOLIO" render --project "$project" --quiet
}
step_folio_sigal() {
    local project="$WORK/folio-sigal"
    rm -rf "$project/site" "$project/.folio"
    cp -r "$CORPUS/.folio" "$project/.folio"
    timed "$1" folio-as-sigal "$FOLIO" render --project "$project" --quiet
}
step_hugo() {
    rm -rf "$WORK/hugo/public" "$WORK/hugo/resources" "$WORK/hugo/cache"
    timed "$1" hugo env HUGO_RESOURCEDIR="$WORK/hugo/resources" hugo --quiet --noBuildLock --source "$REPO/Benchmarks/hugo-site" \
        --contentDir "$WORK/hugo/content" --destination "$WORK/hugo/public" --cacheDir "$WORK/hugo/cache"
}
step_sigal() {
    rm -rf "$WORK/sigal/build"
    timed "$1" sigal "$SIGAL" build --quiet --config "$REPO/Benchmarks/sigal.conf.py" --ncpu 2 "$WORK/sigal/pictures" "$WORK/sigal/build"
}
step_floor() {
    rm -rf "$WORK/floor"
    timed "$1" floor "$PY" "$REPO/Benchmarks/floor.py" "$CORPUS/assets" "$WORK/floor" --widths 400,1024 --quality 82 --processes 2
}

# HOLD_BUILD_LOCK=1: on a machine shared through the build lock, keep every build and test run out
# of the timings (they would take one of the two cores) by holding the lock from here to the end.
if [ "${HOLD_BUILD_LOCK:-0}" = 1 ]; then
    exec 9>/tmp/folio-build.lock
    flock 9
fi
# The originals in the page cache before the first timed step, so no tool pays for reading them
# from disk while the others do not.
find "$CORPUS/assets" -type f -exec cat {} + >/dev/null
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)

STEPS=(step_folio_hugo step_hugo step_folio_sigal step_sigal step_floor)
for round in $(seq 1 "$ROUNDS"); do
    order=("${STEPS[@]}")
    if [ $((round % 2)) = 0 ]; then
        order=()
        for ((i = ${#STEPS[@]} - 1; i >= 0; i--)); do order+=("${STEPS[i]}"); done
    fi
    echo "round $round of $ROUNDS: ${order[*]//step_/}" >&2
    for step in "${order[@]}"; do "$step" "$round"; done
done

# The table, the ratios and what each tool wrote.
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)
CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
MEMORY=$(free -g | awk '/^Mem:/ {print $2}')
MACHINE="$(nproc) cores, $CPU, $MEMORY GB, Debian $(cat /etc/debian_version)"
MACHINE="$MACHINE; load average $LOAD_BEFORE before the first round, $LOAD_AFTER after the last"
SIGAL_VERSION=$("$PY" -c 'import importlib.metadata as m; print(m.version("sigal"))')
VIPS_VERSION=$("$PY" -c 'import pyvips; print(".".join(str(pyvips.version(i)) for i in range(3)))')
VERSIONS="Folio $BUILT · $(hugo version | cut -d' ' -f1-2) · sigal $SIGAL_VERSION · libvips $VIPS_VERSION"
"$PY" - "$RESULTS" "$N" "$ROUNDS" "$CORPUS_MB" "$DETAIL" "$MACHINE" "$VERSIONS" \
    "folio-hugo/site" "$WORK/folio-hugo/site" "hugo/public" "$WORK/hugo/public" \
    "folio-sigal/site" "$WORK/folio-sigal/site" "sigal/build" "$WORK/sigal/build" "floor" "$WORK/floor" <<'PY'
import collections, os, statistics, sys
import pyvips

results, n, rounds, corpus_mb, detail, machine, versions = sys.argv[1:8]
n, rounds, corpus_mb = int(n), int(rounds), int(corpus_mb)
outputs = list(zip(sys.argv[8::2], sys.argv[9::2]))
runs = collections.defaultdict(dict)
for line in open(results):
    round_, label, seconds, kb = line.split()
    runs[label][int(round_)] = (float(seconds), int(kb))

rows = [
    ("folio-first", "Folio `render`, first build", "400 + 1024 px JPEG"),
    ("folio-noop", "Folio `render`, no-op rebuild", "—"),
    ("folio-one-edit", "Folio `render`, one prompt's title edited", "1 image, its pages"),
    ("hugo", "Hugo, first build", "400 + 1024 px JPEG"),
    ("floor", "libvips alone (pyvips, 2 processes)", "400 + 1024 px JPEG"),
    ("folio-as-sigal", "Folio `render`, first build", "200 + 640 px JPEG"),
    ("sigal", "sigal (2 processes)", "200 + 640 px JPEG"),
]
print(f"{n} PNGs of 1024×1024, {corpus_mb / n:.2f} MB each (`folio sim --image-detail {detail}`); "
      f"{rounds} rounds, order alternating; every tool also publishes the originals; JPEG quality 82\n")
print("| tool | outputs per image | median s | range s | images/s | peak MB |")
print("|---|---|---|---|---|---|")
for label, name, made in rows:
    seconds = [s for s, _ in runs[label].values()]
    peak = max(kb for _, kb in runs[label].values()) / 1024
    rate = f"{n / statistics.median(seconds):.0f}" if label not in ("folio-noop", "folio-one-edit") else "—"
    print(f"| {name} | {made} | {statistics.median(seconds):.2f} | {min(seconds):.2f}–{max(seconds):.2f} | {rate} | {peak:.0f} |")

print("\n| paired ratio (median of the rounds' ratios) | median | range | target |")
print("|---|---|---|---|")
for name, folio, peer, target in [("Folio / Hugo", "folio-first", "hugo", 0.3),
                                  ("Folio / sigal", "folio-as-sigal", "sigal", 0.8),
                                  ("Folio / floor", "folio-first", "floor", 1.15)]:
    ratios = [runs[folio][r][0] / runs[peer][r][0] for r in sorted(runs[peer])]
    median = statistics.median(ratios)
    verdict = "met" if median <= target else f"missed by {(median / target - 1) * 100:.0f} %"
    print(f"| {name} | {median:.2f} | {min(ratios):.2f}–{max(ratios):.2f} | ≤ {target} ({verdict}) |")

print(f"\nMachine: {machine}. {versions}.")
print("Peak MB is the largest single process (sigal and the floor run 2 worker processes of that size or less).")

# What each tool wrote in its last round: files, bytes, and the JPEGs by pixel size.
print("\n| output | files | MB | JPEGs | JPEG MB | PNGs | JPEG sizes |")
print("|---|---|---|---|---|---|---|")
for name, folder in outputs:
    files = total = jpegs = jpeg_bytes = pngs = 0
    sizes = collections.Counter()
    for parent, _, names in os.walk(folder):
        if {".folio", "static"} & set(os.path.relpath(parent, folder).split(os.sep)):
            continue
        for file in names:
            path = os.path.join(parent, file)
            size = os.path.getsize(path)
            files, total = files + 1, total + size
            if file.endswith(".jpg"):
                jpegs, jpeg_bytes = jpegs + 1, jpeg_bytes + size
                image = pyvips.Image.new_from_file(path)
                sizes[f"{image.width}×{image.height}"] += 1
            elif file.endswith(".png"):
                pngs += 1
    shown = ", ".join(f"{count} × {size}" for size, count in sorted(sizes.items(), key=lambda item: -item[1]))
    print(f"| {name} | {files} | {total / 1e6:.0f} | {jpegs} | {jpeg_bytes / 1e6:.1f} | {pngs} | {shown} |")
print("(Files outside .folio/ and static/, the theme's own. Folio's JPEGs also carry the prompt in XMP and EXIF.)")
PY
echo
COMMAND="N=$N ROUNDS=$ROUNDS"
[ "$DETAIL" = photo ] || COMMAND="$COMMAND DETAIL=$DETAIL"
for name in FOLIO_BENCH_PYTHON HOLD_BUILD_LOCK; do
    [ -z "${!name:-}" ] || COMMAND="$COMMAND $name=${!name}"
done
[ -z "$GIVEN_FOLIO" ] || COMMAND="$COMMAND FOLIO=$GIVEN_FOLIO"
echo "Command: $COMMAND Benchmarks/compare.sh"
