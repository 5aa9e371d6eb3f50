#!/usr/bin/env bash
# The scaling curve: each API operation (bench/api's wrk scripts) and the demo
# load, at each database size, every figure next to its reference measured in
# the same run - nginx serving a static file of the same size as Kehu's answer,
# and for the load a bare SQLite insert of as many rows - because absolute
# figures drift on a shared machine. Writes bench/results/scale-*.tsv and .md
# and plots docs/bench/scale-api.png and docs/bench/scale-load.png (gnuplot).
#
#   bench/scale/run.sh [--sizes "10000 100000 1000000"] [--duration 5s] [--runs 1] [--kehu PATH]
#
# Databases are made once with `kehu demo` as bench/data/scale-N.db (about
# 2.5 KB a customer on disk) and reused; the load figures come from the run
# that made them (kept in bench/results/scale-N.load).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
SIZES="10000 100000 1000000" DURATION=5s RUNS=1 CONNECTIONS=64 THREADS=$((2 * $(nproc))) WORKERS=$(nproc) KEHU=
while [ $# -gt 0 ]; do
	case "$1" in
	--sizes) SIZES=$2; shift 2 ;;
	--duration) DURATION=$2; shift 2 ;;
	--runs) RUNS=$2; shift 2 ;;
	--kehu) KEHU=$(realpath "$2"); shift 2 ;;
	*) echo "usage: bench/scale/run.sh [--sizes \"10000 100000\"] [--duration 5s] [--runs N] [--kehu PATH]" >&2; exit 2 ;;
	esac
done

scripts/deps.sh bench
if [ -z "$KEHU" ]; then
	cmake -S . -B build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build build/release -j 2 --target kehu >/dev/null
	KEHU=$ROOT/build/release/kehu
fi
PASSWORD=bench-password
mkdir -p bench/data bench/results docs/bench
WORK=$(mktemp -d "$ROOT/bench/data/scale-work.XXXXXX")
chmod 755 "$WORK"
KEHU_PID='' NGINX_PID=''
cleanup() {
	[ -n "$KEHU_PID" ] && kill "$KEHU_PID" 2>/dev/null && wait "$KEHU_PID" 2>/dev/null
	[ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

# Rows in the entity tables (not Kehu's own kh_* tables or the search index).
entity_rows() {
	local sum=0 t
	for t in $(sqlite3 "$1" "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'kh\\_%' ESCAPE '\\' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"); do
		sum=$((sum + $(sqlite3 "$1" "SELECT count(*) FROM \"$t\"")))
	done
	echo "$sum"
}
seconds() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'; }

# The load's reference: as many rows, of about the width of a contact, into a
# bare table with one index, in one transaction (WAL, synchronous=NORMAL).
bare_insert() { # rows -> seconds
	local ref=$WORK/ref.db t0 t1
	rm -f "$ref"
	t0=$(date +%s%N)
	sqlite3 "$ref" "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
		CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, email TEXT, mobile TEXT, city TEXT, created_at TEXT, amount INTEGER);
		CREATE INDEX t_city ON t (city);
		BEGIN;
		INSERT INTO t SELECT value, '客户' || value, 'c' || value || '@example.com', '139' || (10000000 + value),
			char(0x4e00 + value % 24), '2026-01-01T00:00:00Z', value * 7 % 100000 FROM generate_series(1, $1);
		COMMIT;" >/dev/null
	t1=$(date +%s%N)
	rm -f "$ref" "$ref-wal" "$ref-shm"
	seconds "$t0" "$t1"
}

# Runs wrk; prints "requests/s p50_ms p99_ms errors" (as bench/api/run.sh).
run_wrk() { # url script
	wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s "$2" "$1" 2>&1 | awk '
		function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
		/Requests\/sec/ { rps = $2 }
		/^ +50%/ { p50 = ms($2) }
		/^ +99%/ { p99 = ms($2) }
		/Non-2xx/ { errors = $5 }
		END { printf "%.0f %.2f %.2f %d\n", rps, p50, p99, errors + 0 }'
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
TSV=bench/results/scale-$STAMP.tsv MD=bench/results/scale-$STAMP.md
printf 'size\top\tkehu_rps\tnginx_rps\tratio\tp50_ms\tp99_ms\tbytes\tload\n' >"$TSV"
{
	echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); $(date -u +%F); $(basename "$KEHU") $("$KEHU" version 2>/dev/null | head -1)."
	echo "Load: wrk -t2 -c$CONNECTIONS -d$DURATION (median of $RUNS); kehu serve --threads $THREADS; nginx worker_processes $WORKERS."
	echo
	echo "| customers | operation | kehu req/s | nginx req/s | kehu/nginx | p50 ms | p99 ms | answer bytes | load average |"
	echo "|---|---|---|---|---|---|---|---|---|"
} | tee "$MD"

NGINX_PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$WORK/www"
chmod 755 "$WORK/www"
cat >"$WORK/nginx.conf" <<CONF
worker_processes $WORKERS;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 4096; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $WORK/www;
    location / { default_type application/json; }
  }
}
CONF
nginx -c "$WORK/nginx.conf" -g 'daemon off;' &
NGINX_PID=$!

for N in $SIZES; do
	DB=$ROOT/bench/data/scale-$N.db LOADFILE=$ROOT/bench/results/scale-$N.load
	if [ ! -f "$DB" ] || [ ! -f "$LOADFILE" ]; then
		rm -f "$DB" "$DB-wal" "$DB-shm"
		echo "creating $DB (kehu demo --customers $N)" >&2
		KEHU_ADMIN_PASSWORD=$PASSWORD "$KEHU" init --db "$DB" >/dev/null
		t0=$(date +%s%N)
		"$KEHU" demo --db "$DB" --customers "$N" >/dev/null
		t1=$(date +%s%N)
		rows=$(entity_rows "$DB")
		echo "$rows $(seconds "$t0" "$t1") $(bare_insert "$rows") $(cut -d' ' -f1 /proc/loadavg)" >"$LOADFILE"
	fi
	read -r rows kehu_s bare_s load <"$LOADFILE"
	printf '%s\tdemo-load\t%s\t%s\t%s\t\t\t%s\t%s\n' "$N" \
		"$(awk -v r="$rows" -v s="$kehu_s" 'BEGIN { printf "%.0f", r / s }')" \
		"$(awk -v r="$rows" -v s="$bare_s" 'BEGIN { printf "%.0f", r / s }')" \
		"$(awk -v a="$kehu_s" -v b="$bare_s" 'BEGIN { printf "%.3f", b / a }')" "$rows" "$load" >>"$TSV"
	echo "| $N | demo load: $rows rows in $kehu_s s (bare SQLite insert: $bare_s s) | | | $(awk -v a="$kehu_s" -v b="$bare_s" 'BEGIN { printf "%.0f%%", 100 * b / a }') | | | | $load |" | tee -a "$MD"

	# The writes (update and create, last) change the database: a run serves a
	# copy, so that every run measures the database the demo made. Past 8 GB
	# (10M customers) the copy would not fit beside it, and that run changes
	# the file itself; make it afresh before measuring it again.
	RUNDB=$DB
	if [ "$(stat -c %s "$DB")" -lt 8000000000 ]; then
		RUNDB=$WORK/run.db
		rm -f "$RUNDB" "$RUNDB-wal" "$RUNDB-shm"
		cp "$DB" "$RUNDB"
		if [ -f "$DB-wal" ]; then cp "$DB-wal" "$RUNDB-wal"; fi
	fi
	cat "$RUNDB" "$RUNDB-wal" >/dev/null 2>&1 || true # the machine pages out file data it thinks idle
	"$KEHU" serve --db "$RUNDB" --listen 127.0.0.1:0 --threads "$THREADS" >"$WORK/kehu.out" 2>"$WORK/kehu.err" &
	KEHU_PID=$!
	for _ in $(seq 300); do grep -q serving "$WORK/kehu.out" && break; sleep 0.1; done
	URL=$(grep -o 'http://[0-9.:]*' "$WORK/kehu.out")
	curl -sf -X POST -H 'Content-Type: application/json' -d "{\"username\":\"admin\",\"password\":\"$PASSWORD\"}" \
		"$URL/api/v1/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])' >"$WORK/token"
	TOKEN=$(cat "$WORK/token")
	MAX_ID=$(sqlite3 "$RUNDB" 'SELECT max(id) FROM contacts')
	get() { curl -sf -H "Authorization: Bearer $TOKEN" "$URL$1"; }
	get "/api/v1/contacts/$((MAX_ID / 2))" >"$WORK/www/point.json"
	get "/api/v1/contacts?limit=50&city=%E4%B8%8A%E6%B5%B7" >"$WORK/www/list.json"
	get "/api/v1/search?limit=20&q=%E7%8E%8B%E4%BC%9F" >"$WORK/www/search.json"
	get "/api/v1/contacts/$((MAX_ID / 2))/summary" >"$WORK/www/summary.json"
	cp "$WORK/www/point.json" "$WORK/www/create.json"
	cp "$WORK/www/point.json" "$WORK/www/update.json"
	chmod 644 "$WORK/www"/*.json
	export KEHU_BENCH_DIR=$ROOT/bench/api KEHU_BENCH_TOKEN_FILE=$WORK/token KEHU_BENCH_MAX_ID=$MAX_ID

	for op in point list search summary update create; do
		: >"$WORK/k"
		: >"$WORK/n"
		for _ in $(seq "$RUNS"); do
			run_wrk "$URL" "$ROOT/bench/api/$op.lua" >>"$WORK/k"
			KEHU_BENCH_STATIC=/$op.json run_wrk "http://127.0.0.1:$NGINX_PORT" "$ROOT/bench/api/static.lua" >>"$WORK/n"
		done
		errors=$(awk '{ s += $4 } END { print s + 0 }' "$WORK/k")
		if [ "$errors" -gt 0 ]; then
			echo "$op at $N: $errors answers were not 2xx; the figures would be meaningless" >&2
			tail -5 "$WORK/kehu.err" >&2
			exit 1
		fi
		k=$(cut -d' ' -f1 "$WORK/k" | median)
		n=$(cut -d' ' -f1 "$WORK/n" | median)
		p50=$(cut -d' ' -f2 "$WORK/k" | median)
		p99=$(cut -d' ' -f3 "$WORK/k" | median)
		bytes=$(stat -c %s "$WORK/www/$op.json")
		load=$(cut -d' ' -f1 /proc/loadavg)
		ratio=$(awk -v k="$k" -v n="$n" 'BEGIN { printf "%.3f", k / n }')
		printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$N" "$op" "$k" "$n" "$ratio" "$p50" "$p99" "$bytes" "$load" >>"$TSV"
		echo "| $N | $op | $k | $n | $(awk -v r="$ratio" 'BEGIN { printf "%.0f%%", 100 * r }') | $p50 | $p99 | $bytes | $load |" | tee -a "$MD"
	done
	kill "$KEHU_PID"
	wait "$KEHU_PID" || true
	KEHU_PID=
	[ "$RUNDB" = "$DB" ] || rm -f "$RUNDB" "$RUNDB-wal" "$RUNDB-shm"
done

bench/scale/plot.sh "$TSV"
echo "written to $TSV, $MD and docs/bench/scale-*.png" >&2
