#!/usr/bin/env bash
# Issue 8's scenarios, run as a user would against one folio binary; prints what happened to the
# project. Run it with an older binary to see each edge break, and with this one to see it hold.
FOLIO=${1:?usage: trust-scenarios.sh PATH-TO-FOLIO}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
W=$(mktemp -d /tmp/cmp.XXXX)
export FOLIO_TIME_SCALE=0.002 FOLIO_SIM_IMAGE_SCALE=8
mk() { rm -rf "$W/$1"; mkdir -p "$W/$1"; cp -r "$ROOT/prompts" "$ROOT/folio.yml" "$W/$1/"; }
mk base; $FOLIO build --project "$W/base" --simulate >/dev/null 2>&1; echo "base build: $?"
snap() { (cd "$1" && find . -path ./site -prune -o -type f -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-12); }

echo "== 1. render --out . (project folder)"
rm -rf "$W/p1"; cp -r "$W/base" "$W/p1"; before=$(snap "$W/p1")
(cd "$W/p1" && $FOLIO render --project . --out . >/dev/null 2>&1; echo "  exit $?")
after=$(snap "$W/p1"); [ "$before" = "$after" ] && echo "  project intact" || echo "  PROJECT CHANGED: folio.yml $( [ -f $W/p1/folio.yml ] && echo present || echo DELETED), prompts/ $(find $W/p1/prompts -name '*.md' 2>/dev/null | wc -l) files, assets $(ls $W/p1/assets 2>/dev/null | wc -l)"

echo "== 2. a foreign file in site/"
rm -rf "$W/p2"; cp -r "$W/base" "$W/p2"; echo mine > "$W/p2/site/mine.txt"; 
sed -i 's/^title:.*/title: Changed/' "$W/p2/prompts/welcome.md"
$FOLIO render --project "$W/p2" >/dev/null 2>&1; [ -f "$W/p2/site/mine.txt" ] && echo "  mine.txt survives" || echo "  mine.txt DELETED"

echo "== 3. a DashScope create answered with a malformed 200"
rm -rf "$W/p3"; mkdir -p "$W/p3/prompts"; printf -- '---\nroute: dashscope\n---\nA shoe [[sim:malformed x1]]\n' > "$W/p3/prompts/d.md"
out=$($FOLIO generate --project "$W/p3" --simulate 2>&1); echo "  exit $?"; echo "$out" | grep -E "retry|failed|generated|charged|paid" | sed 's/^/  /' | head -5

echo "== 4. a crafted sha256 in folio.lock"
rm -rf "$W/p4"; cp -r "$W/base" "$W/p4"; rm -rf "$W/p4/site"
sha=$(python3 -c "import json;d=json.load(open('$W/p4/folio.lock'));print(d['entries']['welcome']['outputs'][0]['sha256'])")
sed -i "s/\"sha256\": \"$sha\"/\"sha256\": \"..\/..\/..\/escaped-$$\"/" "$W/p4/folio.lock"
$FOLIO render --project "$W/p4" >/dev/null 2>&1; echo "  exit $?"; find "$W" /tmp -maxdepth 1 -name "escaped-$$*" 2>/dev/null | sed 's/^/  WROTE OUTSIDE: /'

echo "== 5. an edited asset (same size)"
rm -rf "$W/p5"; cp -r "$W/base" "$W/p5"; rm -rf "$W/p5/site"
f=$(python3 -c "import json;d=json.load(open('$W/p5/folio.lock'));print(d['entries']['welcome']['outputs'][0]['file'])")
python3 -c "import sys;p='$W/p5/$f';b=bytearray(open(p,'rb').read());b[-30]^=0xff;open(p,'wb').write(b)"
out=$($FOLIO render --project "$W/p5" 2>&1); echo "  exit $?"; n=$(basename $f); [ -f "$W/p5/site/img/$n" ] && echo "  edited asset PUBLISHED" || echo "  not published"; echo "$out" | grep -i "hash\|changed" | head -2 | sed 's/^/  /'

echo "== 6. clean --yes while another process holds the run lock"
rm -rf "$W/p6"; cp -r "$W/base" "$W/p6"; rm "$W/p6/prompts/welcome.md"; mkdir -p "$W/p6/.folio"; cp "$W/p6/folio.lock" "$W/p6/lock.before"
flock "$W/p6/.folio/run.lock" sleep 3 & sleep 0.5
$FOLIO clean --project "$W/p6" --yes >/dev/null 2>&1; echo "  exit $?"; cmp -s "$W/p6/folio.lock" "$W/p6/lock.before" && echo "  folio.lock untouched" || echo "  folio.lock REWRITTEN"; wait

echo "== 7. the alias bomb"
start=$(date +%s.%N); timeout 20 /usr/bin/time -f '%M' -o $W/rss $FOLIO check --project $ROOT/Tests/Fixtures/invalid/yaml-alias-bomb >/dev/null 2>&1; s=$?; end=$(date +%s.%N)
echo "  exit $s in $(echo "$end - $start" | bc | cut -c1-5) s, $(( $(tail -1 $W/rss 2>/dev/null | grep -E "^[0-9]+$" || echo 0) / 1024 )) MB (124 = killed at 20 s)"

echo "== 8. private: [parameters]"
rm -rf "$W/p8"; cp -r "$W/base" "$W/p8"; rm -rf "$W/p8/site"; sed -i '0,/^---$/!{0,/^---$/s/^---$/private: [parameters]\n---/}' "$W/p8/prompts/products/sneaker-hero.md"
$FOLIO build --project "$W/p8" --simulate >/dev/null 2>&1
grep -c "qwen-image-plus" "$W/p8/site/p/products/sneaker-hero/index.html" | sed 's/^/  model on its page: /'
python3 -c "import re;t=open('$W/p8/site/static/search-index.js').read();i=t.find('sneaker-hero');print('  search index record:', t[max(0,i-200):i+300].count('dashscope'), 'mentions of dashscope')"
rm -rf "$W"
