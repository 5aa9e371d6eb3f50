#!/usr/bin/env bash
# The duplicate-scan benchmark: N contacts of which a fraction are the same
# person typed again (traditional characters, full-width digits, another phone
# format, e-mail in capitals: bench/import/gen_contacts.py --dups), loaded with
# kehu import, then `kehu dedupe contacts`: time and peak memory, next to the
# reference measured in the same run: sqlite3 grouping exact e-mails and
# mobiles (what a GROUP BY finds; it misses every variant above).
#
#   bench/dedupe/run.sh [--rows 1000000] [--dups 0.05]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
ROWS=1000000 DUPS=0.05
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) ROWS=$2; shift 2 ;;
    --dups) DUPS=$2; shift 2 ;;
    *) echo "usage: bench/dedupe/run.sh [--rows N] [--dups F]" >&2; exit 2 ;;
  esac
done
BUILD=${KEHU_BENCH_BUILD:-$ROOT/build/release}
if [ -z "${KEHU_BENCH_BUILD:-}" ]; then
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$BUILD" -j 2 --target kehu >/dev/null
fi
KEHU=$BUILD/kehu
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kehu-bench-dedupe.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

python3 bench/import/gen_contacts.py "$ROWS" "$WORK/contacts.csv" --dups "$DUPS"
KEHU_ADMIN_PASSWORD=bench-password "$KEHU" init --db "$WORK/kehu.db" >/dev/null
"$KEHU" import contacts "$WORK/contacts.csv" --db "$WORK/kehu.db" >/dev/null
rm "$WORK/contacts.csv"
sqlite3 "$WORK/kehu.db" "SELECT count(*) FROM contacts" >/dev/null

t0=$(now)
EXACT=$(sqlite3 "$WORK/kehu.db" "SELECT (SELECT count(*) FROM (SELECT 1 FROM contacts WHERE email IS NOT NULL GROUP BY email HAVING count(*) > 1)) + (SELECT count(*) FROM (SELECT 1 FROM contacts WHERE mobile IS NOT NULL GROUP BY mobile HAVING count(*) > 1))")
t1=$(now)
REF=$(secs "$t0" "$t1")
t0=$(now)
/usr/bin/time -f "%M" -o "$WORK/rss" "$KEHU" dedupe contacts --db "$WORK/kehu.db" --limit 3 >"$WORK/out"
t1=$(now)
SCAN=$(secs "$t0" "$t1")
RSS=$(( $(cat "$WORK/rss") / 1024 ))
CLUSTERS=$(grep -o '[0-9]* clusters' "$WORK/out" | grep -o '[0-9]*')

echo "| contacts | typed again | exact GROUP BY e-mail, mobile (reference) | kehu dedupe | clusters found | peak RSS |"
echo "|---|---|---|---|---|---|"
echo "| $ROWS | $(awk -v n="$ROWS" -v f="$DUPS" 'BEGIN{printf "%.0f", n*f}') rows | $REF s, $EXACT groups | $SCAN s | $CLUSTERS | $RSS MB |"
echo
echo "Best clusters:"; echo; sed -n '2,4p' "$WORK/out" | sed 's/^/    /'
echo
echo "($(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg) at the end)"
