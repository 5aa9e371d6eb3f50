#!/usr/bin/env bash
# The import benchmark: N generated contacts (bench/import/gen_contacts.py, Chinese
# headers, phones written several ways) loaded by `kehu import --key email` into
# an empty database, next to the reference measured in the same run: sqlite3's
# .import of the same file into a bare table (no validation, no keys, no
# indexes, no search). Both sides are timed in wall and in CPU seconds, and the
# import's debug log gives each phase's. Also the floor: sqlite3 alone loading
# the same rows into Kehu's table with its indexes and trigram search index.
# Prints a Markdown table for docs/BENCHMARKS.md.
#
#   bench/import/run.sh [--rows 1000000]
# The data is generated under $TMPDIR (default /tmp) and removed afterwards.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
ROWS=1000000
while [ $# -gt 0 ]; do
  case "$1" in
    --rows) ROWS=$2; shift 2 ;;
    *) echo "usage: bench/import/run.sh [--rows N]" >&2; exit 2 ;;
  esac
done
BUILD=${KEHU_BENCH_BUILD:-$ROOT/build/release}
if [ -z "${KEHU_BENCH_BUILD:-}" ]; then
  cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  cmake --build "$BUILD" -j 2 --target kehu >/dev/null
fi
KEHU=$BUILD/kehu
WORK=$(mktemp -d "${TMPDIR:-/tmp}/kehu-bench-import.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

python3 bench/import/gen_contacts.py "$ROWS" "$WORK/contacts.csv"
SIZE=$(du -m "$WORK/contacts.csv" | cut -f1)
cat "$WORK/contacts.csv" >/dev/null # warm the page cache for both

# Wall time, and CPU time (user + system): on a machine shared with other
# work the wall times of both sides stretch with the load; CPU time much less.
cpu() { awk '{ printf "%.2f", $1 + $2 }' "$1"; }
t0=$(now)
/usr/bin/time -f "%U %S" -o "$WORK/ref.cpu" sqlite3 "$WORK/ref.db" ".mode csv" ".import $WORK/contacts.csv contacts"
t1=$(now)
REF=$(secs "$t0" "$t1")
REF_CPU=$(cpu "$WORK/ref.cpu")

KEHU_ADMIN_PASSWORD=bench-password "$KEHU" init --db "$WORK/kehu.db" >/dev/null

# The floor: what SQLite alone does for the same rows, keys and search, with
# none of Kehu's work (no parsing of its own, conversion, validation, phone or
# e-mail keys, audit or progress). sqlite3 imports the file, copies it into
# Kehu's contacts table, builds that table's secondary indexes after the load
# (as Kehu's bulk load does) and the trigram search index over the searchable
# fields with FTS5's merging deferred to one merge (as Kehu does). Kehu's second
# search index, of CJK unigrams and bigrams, has a tokenizer of Kehu's own that
# sqlite3 lacks, so the floor leaves it out: it is a lower bound.
NOW=2026-01-01T00:00:00Z
{
  echo ".mode csv"
  echo ".import $WORK/contacts.csv t"
  sqlite3 "$WORK/kehu.db" "SELECT sql || ';' FROM sqlite_master WHERE type = 'table' AND name = 'contacts'"
  echo "INSERT INTO contacts (name, mobile, phone, email, title, department, city, province, address, birthday,"
  echo "  gender, wechat, source, tags, description, created_at, updated_at, version)"
  echo "SELECT 姓名, 手机, 电话, 邮箱, 职务, 部门, 城市, 省份, 地址, 生日, 性别, 微信, 来源, 标签, 备注, '$NOW', '$NOW', 1 FROM t;"
  sqlite3 "$WORK/kehu.db" "SELECT sql || ';' FROM sqlite_master WHERE type = 'index' AND tbl_name = 'contacts' AND sql IS NOT NULL"
  echo "CREATE VIRTUAL TABLE kh_search USING fts5(body, tokenize='trigram');"
  echo "INSERT INTO kh_search (kh_search, rank) VALUES ('automerge', 0);"
  echo "INSERT INTO kh_search (rowid, body) SELECT id, coalesce(name, '') || char(9) || coalesce(email, '') || char(9) ||"
  echo "  coalesce(phone, '') || char(9) || coalesce(mobile, '') || char(9) || coalesce(wechat, '') FROM contacts;"
  echo "INSERT INTO kh_search (kh_search) VALUES ('optimize');"
} >"$WORK/floor.sql"
t0=$(now)
/usr/bin/time -f "%U %S" -o "$WORK/floor.cpu" sqlite3 "$WORK/floor.db" <"$WORK/floor.sql"
t1=$(now)
FLOOR=$(secs "$t0" "$t1")
FLOOR_CPU=$(cpu "$WORK/floor.cpu")
FLOOR_DOCS=$(sqlite3 "$WORK/floor.db" "SELECT (SELECT count(*) FROM contacts) || ' ' || (SELECT count(*) FROM kh_search)")
[ "$FLOOR_DOCS" = "$ROWS $ROWS" ] || { echo "the floor loaded $FLOOR_DOCS rows and documents, not $ROWS" >&2; exit 1; }
rm -f "$WORK/floor.db" "$WORK/ref.db"
t0=$(now)
"$KEHU" import contacts "$WORK/contacts.csv" --db "$WORK/kehu.db" --key email --dry-run >/dev/null
t1=$(now)
DRY=$(secs "$t0" "$t1")
t0=$(now)
KEHU_LOG=debug /usr/bin/time -f "%U %S %M" -o "$WORK/rss" "$KEHU" import contacts "$WORK/contacts.csv" --db "$WORK/kehu.db" \
  --key email >"$WORK/out" 2>"$WORK/log"
t1=$(now)
KEHU_S=$(secs "$t0" "$t1")
RSS=$(( $(awk '{ print $3 }' "$WORK/rss") / 1024 ))
KEHU_CPU=$(cpu "$WORK/rss")
# The import's log: each phase's wall and CPU seconds, "rows 1.0 s (0.9 s CPU)".
phase() { grep -o "$1 [0-9.]* s ([0-9.]* s CPU)" "$WORK/log" | sed 's/^[a-z ]* \([0-9.]*\) s (\([0-9.]*\) s CPU)/\1 s (\2 s CPU)/' || echo "?"; }
ROWS_T=$(phase rows)
INDEXES=$(phase indexes)
SEARCH=$(phase "search index")
COUNT=$(sqlite3 "$WORK/kehu.db" "SELECT count(*) FROM contacts")
FOUND=$(sqlite3 "$WORK/kehu.db" "SELECT count(*) FROM kh_search WHERE kh_search MATCH '\"u${ROWS%?}\"'" 2>/dev/null || echo "?")
[ "$COUNT" = "$ROWS" ] || { echo "expected $ROWS contacts, found $COUNT" >&2; cat "$WORK/out" "$WORK/log" >&2; exit 1; }

ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.1fx", a/b}'; }
echo "| contacts | CSV | sqlite3 .import (reference) | sqlite3 alone: rows, indexes, trigram search (floor) | kehu import --dry-run (read, convert, validate, keys) | kehu import --key email | ratio to reference | floor's ratio to reference | rows/s | of which: rows | indexes | search index | peak RSS |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
echo "| $ROWS | $SIZE MB | $REF s ($REF_CPU s CPU) | $FLOOR s ($FLOOR_CPU s CPU) | $DRY s | $KEHU_S s ($KEHU_CPU s CPU) | $(ratio "$KEHU_S" "$REF") wall, $(ratio "$KEHU_CPU" "$REF_CPU") CPU | $(ratio "$FLOOR" "$REF") wall, $(ratio "$FLOOR_CPU" "$REF_CPU") CPU | $(awk -v n="$ROWS" -v s="$KEHU_S" 'BEGIN{printf "%.0f", n/s}') | $ROWS_T | $INDEXES | $SEARCH | $RSS MB |"
echo
echo "(search check: $FOUND hit for one imported e-mail; $(nproc) cores, load average $(cut -d' ' -f1 /proc/loadavg) at the end)"
