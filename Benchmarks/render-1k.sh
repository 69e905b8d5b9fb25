#!/usr/bin/env bash
# Rendering benchmark (issue #5): 1,000 generated 1024×1024 PNG originals, release mode.
# - Folio with outputs matched to Hugo's (a 400 px thumbnail and a display-size JPEG) and to
#   sigal's (its two default JPEG sizes, 640 and 200 px), first build and no-op rebuild.
# - Hugo and sigal themselves on the same PNGs when they are installed (RUN_OTHERS=1), else the
#   reference figures measured on this kind of machine: Hugo ≈ 87 s, sigal ≈ 21 s.
# Targets: ≥ 3× faster than Hugo, faster than sigal.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-1000}
CORPUS=${CORPUS:-/tmp/folio-render-corpus-$N}
# FOLIO=/path/to/folio times another binary (an older build, for before/after figures).
if [ -z "${FOLIO:-}" ]; then
    swift build -c release --product folio >/dev/null
    FOLIO="$(swift build -c release --show-bin-path)/folio"
fi

# The corpus: N prompts generated against `folio sim` (1024×1024 PNGs, as Kling 1k 1:1 returns).
if [ ! -f "$CORPUS/folio.lock" ]; then
    rm -rf "$CORPUS"; mkdir -p "$CORPUS/prompts"
    for i in $(seq 1 "$N"); do
        printf -- '---\nroute: kling\naspect_ratio: "1:1"\nresolution: 1k\ntags: [t%d]\n---\nBenchmark image %d, a lighthouse at dusk\n' "$((i % 20))" "$i" > "$CORPUS/prompts/p-$i.md"
    done
    # Simulated durations at 1/1000: Kling's half-minute tasks take milliseconds, and the image
    # URLs still live long enough to download (at time scale 0 they expire before it).
    "$FOLIO" sim --time-scale 0.001 --key bench > "$CORPUS/.sim.url" 2>/dev/null & SIM=$!
    for _ in $(seq 1 100); do [ -s "$CORPUS/.sim.url" ] && break; sleep 0.05; done
    ANYINT_BASE_URL=$(head -1 "$CORPUS/.sim.url") ANYINT_API_KEY=bench FOLIO_TIME_SCALE=0.001 "$FOLIO" generate --project "$CORPUS" --jobs 8 --quiet || true
    kill $SIM
    MADE=$( (find "$CORPUS/assets" -name '*.png' 2>/dev/null || true) | wc -l)
    # A short corpus is removed, so the next run makes it again instead of timing fewer images.
    [ "$MADE" = "$N" ] || { echo "the corpus has $MADE images, not $N" >&2; rm -rf "$CORPUS"; exit 1; }
fi

seconds() { /usr/bin/time -f "%e" "$@" 2>&1 >/dev/null | tail -1; }
run_folio() { # widths formats label
    printf 'title: Bench\nimages:\n  widths: %s\n  formats: %s\npagination: 60\n' "$1" "$2" > "$CORPUS/folio.yml"
    rm -rf "$CORPUS/site"
    local first noop
    first=$(seconds "$FOLIO" render --project "$CORPUS" --quiet)
    noop=$(seconds "$FOLIO" render --project "$CORPUS" --quiet)
    echo "$first $noop"
}

read -r HUGO_MATCHED HUGO_NOOP < <(run_folio "[400, 1024]" "[jpeg]")
read -r SIGAL_MATCHED SIGAL_NOOP < <(run_folio "[200, 640]" "[jpeg]")
read -r DEFAULT_FIRST DEFAULT_NOOP < <(run_folio "[480, 960, 1600]" "[webp, jpeg]")

HUGO=87; SIGAL=21; HUGO_SRC="reference"; SIGAL_SRC="reference"
if [ "${RUN_OTHERS:-0}" = 1 ] && command -v hugo >/dev/null; then
    H=$(mktemp -d); mkdir -p "$H/content/gallery" "$H/layouts/_default"
    cp "$CORPUS"/assets/*.png "$H/content/gallery/"
    printf -- '---\ntitle: Gallery\n---\n' > "$H/content/gallery/index.md"
    printf 'baseURL = "http://example.org/"\ntitle = "Bench"\n' > "$H/hugo.toml"
    cat > "$H/layouts/_default/single.html" <<'TPL'
{{ range .Resources.ByType "image" }}{{ $t := .Resize "400x jpg" }}{{ $d := .Resize "1024x jpg q85" }}<img src="{{ $t.RelPermalink }}"><img src="{{ $d.RelPermalink }}">{{ end }}
TPL
    cp "$H/layouts/_default/single.html" "$H/layouts/_default/list.html"
    if T=$(seconds hugo --source "$H" --quiet); then HUGO=$T; HUGO_SRC="measured"; fi; rm -rf "$H"
fi
if [ "${RUN_OTHERS:-0}" = 1 ] && command -v sigal >/dev/null; then
    S=$(mktemp -d); mkdir -p "$S/pictures"; cp "$CORPUS"/assets/*.png "$S/pictures/"
    (cd "$S" && sigal init >/dev/null 2>&1)
    if T=$(cd "$S" && seconds sigal build pictures _build); then SIGAL=$T; SIGAL_SRC="measured"; fi; rm -rf "$S"
fi

ratio() { echo "$1 / $2" | bc -l; }
printf 'Folio, outputs as Hugo (400 px + 1024 px JPEG): %6.2f s first, %5.2f s no-op;  Hugo %s %s s → %.1f× faster (target ≥ 3×)\n' "$HUGO_MATCHED" "$HUGO_NOOP" "$HUGO_SRC" "$HUGO" "$(ratio "$HUGO" "$HUGO_MATCHED")"
printf 'Folio, outputs as sigal (200 + 640 px JPEG):    %6.2f s first, %5.2f s no-op;  sigal %s %s s → %.1f× faster (target > 1×)\n' "$SIGAL_MATCHED" "$SIGAL_NOOP" "$SIGAL_SRC" "$SIGAL" "$(ratio "$SIGAL" "$SIGAL_MATCHED")"
printf 'Folio, default outputs (480/960/1600 × WebP+JPEG): %6.2f s first, %5.2f s no-op\n' "$DEFAULT_FIRST" "$DEFAULT_NOOP"
