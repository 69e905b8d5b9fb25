#!/usr/bin/env bash
# Times `folio plan` on a generated 10,000-prompt project in release mode.
# Target (issue #2): under 1 s on a 2-core machine. Prints the median of several runs and its
# ratio to the target; a second case adds a 10,000-entry lockfile (every entry stale) so
# reading the lockfile is measured too.
set -euo pipefail
cd "$(dirname "$0")/.."
COUNT=${COUNT:-10000}
RUNS=${RUNS:-5}

# FOLIO=/path/to/folio times another binary (an older build, for before/after figures).
if [ -z "${FOLIO:-}" ]; then
    swift build -c release --product folio >/dev/null
    FOLIO="$(swift build -c release --show-bin-path)/folio"
fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
python3 - "$WORK" "$COUNT" <<'PY'
import os, sys, json
root, count = sys.argv[1], int(sys.argv[2])
routes = [
    ("gemini", 'aspect_ratio: "3:4"\nimage_size: 2K'),
    ("dashscope", "size: 1328*1328\nseed: 7\nnegative_prompt: blurry"),
    ("kling", 'aspect_ratio: "16:9"\nresolution: 2k\nn: 2'),
    ("kling-omni", "result_type: series\nseries_amount: 4"),
]
os.makedirs(f"{root}/prompts", exist_ok=True)
open(f"{root}/folio.yml", "w").write("title: Benchmark\ndefaults:\n  kling: { aspect_ratio: \"1:1\" }\n")
entries = {}
for i in range(count):
    album = f"album-{i % 20:02d}"
    os.makedirs(f"{root}/prompts/{album}", exist_ok=True)
    route, keys = routes[i % 4]
    pid = f"{album}/prompt-{i:05d}"
    text = (f"---\ntitle: Prompt {i}\nroute: {route}\n{keys}\ntags: [bench, t{i % 50}]\n"
            f"alt: Image number {i}\ndate: 2026-11-{1 + i % 28:02d}\n---\n"
            f"A generated prompt number {i}: a lighthouse on a cliff at dusk, cinematic light, detail {i * 7919 % 10007}.\n")
    open(f"{root}/prompts/{pid}.md", "w").write(text)
    entries[pid] = {"input_hash": "sha256:stale", "route": route, "model": "m", "state": "succeeded",
                    "external_task_id": None, "task_id": f"task-{i}", "request_id": None,
                    "created_at": "2026-11-25T12:00:00Z", "updated_at": "2026-11-25T12:00:41Z",
                    "outputs": [{"index": 0, "url": f"https://cdn.example/{i}.png", "file": f"assets/{i:064x}.png",
                                 "sha256": f"{i:064x}", "bytes": 1000, "width": 1024, "height": 1024, "mime": "image/png"}],
                    "text": None, "error": None}
json.dump({"version": 1, "entries": dict(sorted(entries.items()))}, open(f"{root}/lock.json", "w"), indent=2)
PY

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
measure() {
    for _ in $(seq "$RUNS"); do
        local start end
        start=$(date +%s.%N)
        "$FOLIO" plan --project "$WORK" --json >/dev/null
        end=$(date +%s.%N)
        echo "$end - $start" | bc -l
    done | median
}

"$FOLIO" plan --project "$WORK" --json | python3 -c "import json,sys; d=json.load(sys.stdin); assert len(d['entries'])==$COUNT, len(d['entries'])"
fresh=$(measure)
mv "$WORK/lock.json" "$WORK/folio.lock"
with_lock=$(measure)
printf 'folio plan, %d prompts, no lockfile:          %.3f s  (%.2f× the 1 s target)\n' "$COUNT" "$fresh" "$fresh"
printf 'folio plan, %d prompts, %d-entry lockfile: %.3f s  (%.2f× the 1 s target)\n' "$COUNT" "$COUNT" "$with_lock" "$with_lock"
