#!/usr/bin/env bash
# The export benchmark: N contacts (generated, then loaded with kehu import)
# exported as CSV by `kehu export`, over HTTP (GET /api/v1/contacts/export with
# curl), and as XLSX, next to the reference measured in the same run: sqlite3
# writing the same table as CSV (`sqlite3 -csv db "SELECT * FROM contacts"`).
#
#   bench/export/run.sh [--rows 1000000] [--no-xlsx]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
ROWS=1000000 XLSX=1
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) ROWS=$2; shift 2 ;;
    --no-xlsx) XLSX=0; shift ;;
    *) echo "usage: bench/export/run.sh [--rows N] [--no-xlsx]" >&2; exit 2 ;;
  esac
done
BUILD=${KEHU_BENCH_BUILD:-$ROOT/build/release}
if [ -z "${KEHU_BENCH_BUILD:-}" ]; then
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$BUILD" -j 2 --target kehu >/dev/null
fi
KEHU=$BUILD/kehu
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kehu-bench-export.XXXXXX")
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; rm -rf "$WORK"; }
trap cleanup EXIT
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
rate() { awk -v n="$ROWS" -v s="$1" 'BEGIN { printf "%.0f", n / s }'; }

python3 bench/import/gen_contacts.py "$ROWS" "$WORK/contacts.csv"
KEHU_ADMIN_PASSWORD=bench-password "$KEHU" init --db "$WORK/kehu.db" >/dev/null
"$KEHU" import contacts "$WORK/contacts.csv" --db "$WORK/kehu.db" >/dev/null
rm "$WORK/contacts.csv"
sqlite3 "$WORK/kehu.db" "SELECT count(*) FROM contacts" >/dev/null

t0=$(now); sqlite3 -csv "$WORK/kehu.db" "SELECT * FROM contacts ORDER BY id DESC" >"$WORK/ref.csv"; t1=$(now)
REF=$(secs "$t0" "$t1")
t0=$(now); /usr/bin/time -f "%M" -o "$WORK/rss" "$KEHU" export contacts --db "$WORK/kehu.db" --out "$WORK/cli.csv" 2>/dev/null; t1=$(now)
CLI=$(secs "$t0" "$t1"); CLI_RSS=$(( $(cat "$WORK/rss") / 1024 ))
LINES=$(wc -l <"$WORK/cli.csv")

"$KEHU" serve --db "$WORK/kehu.db" --listen 127.0.0.1:0 --threads 2 >"$WORK/serve.out" 2>&1 &
PID=$!
for _ in $(seq 100); do grep -q serving "$WORK/serve.out" && break; sleep 0.1; done
URL=$(grep -o 'http://[^/ ]*' "$WORK/serve.out")
TOKEN=$(curl -s -X POST -H 'content-type: application/json' -d '{"username":"admin","password":"bench-password"}' \
  "$URL/api/v1/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
t0=$(now); curl -s -o "$WORK/http.csv" -H "authorization: Bearer $TOKEN" "$URL/api/v1/contacts/export"; t1=$(now)
HTTP=$(secs "$t0" "$t1")
HTTP_RSS=$(( $(grep VmHWM /proc/$PID/status | awk '{print $2}') / 1024 ))
XL="-"
if [ "$XLSX" = 1 ]; then
  t0=$(now); curl -s -o "$WORK/http.xlsx" -H "authorization: Bearer $TOKEN" "$URL/api/v1/contacts/export?format=xlsx"; t1=$(now)
  XL="$(secs "$t0" "$t1") s ($(rate "$(secs "$t0" "$t1")") rows/s, $(du -m "$WORK/http.xlsx" | cut -f1) MB)"
fi
cmp -s "$WORK/cli.csv" "$WORK/http.csv" || { echo "the CLI and HTTP exports differ" >&2; exit 1; }

echo "| rows | sqlite3 -csv (reference) | kehu export (CLI) | GET /export (HTTP, curl) | XLSX over HTTP | CLI peak RSS | server peak RSS |"
echo "|---|---|---|---|---|---|---|"
echo "| $ROWS | $REF s ($(rate "$REF") rows/s) | $CLI s ($(rate "$CLI") rows/s) | $HTTP s ($(rate "$HTTP") rows/s) | $XL | $CLI_RSS MB | $HTTP_RSS MB |"
echo
echo "($((LINES - 1)) data lines written; $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg) at the end)"
