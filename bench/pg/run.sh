#!/usr/bin/env bash
# The PostgreSQL benchmark: the same API operations on the same data served from
# SQLite and from PostgreSQL, with pgbench in the same run as the reference
# (its built-in select-only test, and the SELECTs that the two API operations
# run, as pgbench scripts over as many connections as kehu has threads).
#
#   bench/pg/run.sh [--customers 100000] [--threads "2 4 8"] [--duration 10s] [--connections 64] [--runs 1]
#
# The data: kehu demo on SQLite, then kehu migrate-data into PostgreSQL, so both
# engines hold the same rows. The cluster is a private one on loopback
# (tests/pg/cluster.sh; fsync off, which does not matter to these reads).
# Prints a Markdown table, also written to bench/results/.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
CUSTOMERS=100000 THREADS_LIST="2 4 8" DURATION=10s CONNECTIONS=64 RUNS=1
while [ $# -gt 0 ]; do
	case "$1" in
	--customers) CUSTOMERS=$2; shift 2 ;;
	--threads) THREADS_LIST=$2; shift 2 ;;
	--duration) DURATION=$2; shift 2 ;;
	--connections) CONNECTIONS=$2; shift 2 ;;
	--runs) RUNS=$2; shift 2 ;;
	*) echo "usage: bench/pg/run.sh [--customers N] [--threads \"2 4 8\"] [--duration 10s] [--connections N] [--runs N]" >&2; exit 2 ;;
	esac
done
PGBIN=${KEHU_PGBIN:-/usr/lib/postgresql/15/bin}

if [ -z "${KEHU_BIN:-}" ]; then
	scripts/deps.sh bench
	cmake -S . -B build/bench-pg -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
	cmake --build build/bench-pg -j "$(nproc)" --target kehu >/dev/null
	KEHU_BIN=$ROOT/build/bench-pg/kehu
fi
KEHU=$KEHU_BIN
PASSWORD=bench-password
mkdir -p bench/data bench/results
DB=$ROOT/bench/data/demo-$CUSTOMERS.db
if [ ! -f "$DB" ]; then
	echo "creating $DB (kehu demo --customers $CUSTOMERS)" >&2
	KEHU_ADMIN_PASSWORD=$PASSWORD "$KEHU" demo --db "$DB" --customers "$CUSTOMERS" >/dev/null
fi

WORK=$(mktemp -d "${KEHU_BENCH_TMPDIR:-/tmp}/kehu-bench-pg.XXXXXX")
chmod 755 "$WORK"
KEHU_PID=
cleanup() {
	[ -n "$KEHU_PID" ] && kill "$KEHU_PID" 2>/dev/null && wait "$KEHU_PID" 2>/dev/null || true
	tests/pg/cluster.sh stop "$WORK/pg" >/dev/null 2>&1 || true
	rm -rf "$WORK"
}
trap cleanup EXIT

ADMIN_URI=$(KEHU_PG_TMPDIR=$WORK tests/pg/cluster.sh start "$WORK/pg")
BASE=${ADMIN_URI%/postgres}
"$PGBIN/psql" -X -q -d "$ADMIN_URI" -c "CREATE DATABASE kehu" -c "CREATE DATABASE pgb"
PG_DB=$BASE/kehu
echo "copying $DB into PostgreSQL (kehu migrate-data)" >&2
"$KEHU" migrate-data --from "$DB" --to "$PG_DB" >&2
"$PGBIN/psql" -X -q -d "$PG_DB" -c "VACUUM ANALYZE" >/dev/null
"$PGBIN/pgbench" -i -s 10 -q "$BASE/pgb" >/dev/null 2>&1

MAX_ID=$(sqlite3 "$DB" 'SELECT max(id) FROM contacts')
COLS=$("$PGBIN/psql" -X -A -t -d "$PG_DB" -c "SELECT string_agg(column_name, ',' ORDER BY ordinal_position)
	FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'contacts'")
# The SELECTs behind the two API operations, as pgbench scripts.
cat >"$WORK/point.sql" <<SQL
\set id random(1, $MAX_ID)
SELECT $COLS FROM contacts WHERE id = :id;
SQL
CITIES="ARRAY['上海','北京','深圳','广州','杭州','成都','南京','苏州','武汉','西安','重庆','天津','长沙','郑州','青岛','宁波','厦门','合肥','沈阳','大连','昆明','哈尔滨','福州','济南']"
cat >"$WORK/list_first.sql" <<SQL
\set c random(1, 24)
SELECT $COLS FROM contacts WHERE archived_at IS NULL AND city = ($CITIES)[:c] ORDER BY id DESC LIMIT 51;
SQL
cat >"$WORK/list_cursor.sql" <<SQL
\set c random(1, 24)
\set id random(1, $MAX_ID)
SELECT $COLS FROM contacts WHERE archived_at IS NULL AND city = ($CITIES)[:c] AND id < :id ORDER BY id DESC LIMIT 51;
SQL

# Prints "requests/s p50_ms p99_ms errors".
run_wrk() { # url script
	wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s "$2" "$1" 2>&1 | awk '
		function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
		/Requests\/sec/ { rps = $2 }
		/^ +50%/ { p50 = ms($2) }
		/^ +99%/ { p99 = ms($2) }
		/Non-2xx/ { errors = $5 }
		/Socket errors/ { errors += $4 + $6 + $8 + $10 }
		END { printf "%.0f %.2f %.2f %d\n", rps, p50, p99, errors + 0 }'
}
# Prints "transactions/s p99_ms" of a pgbench run (-r is not used: it slows it).
run_pgbench() { # clients args...
	local c=$1
	shift
	"$PGBIN/pgbench" -n -M prepared -c "$c" -j "$((c < 2 ? c : 2))" -T "${DURATION%s}" --log --log-prefix="$WORK/pgb" "$@" 2>&1 |
		awk '/^tps/ { tps = $3 } END { printf "%.0f", tps }'
	local p99
	p99=$(cat "$WORK"/pgb.* | awk '{ print $3 }' | sort -n | awk '{ a[NR] = $1 } END { printf "%.2f", a[int(NR * 0.99)] / 1000 }')
	rm -f "$WORK"/pgb.*
	echo " $p99"
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

start_kehu() { # db threads [serve options]
	local db=$1 threads=$2
	shift 2
	"$KEHU" serve --db "$db" --listen 127.0.0.1:0 --threads "$threads" "$@" >"$WORK/kehu.out" 2>"$WORK/kehu.err" &
	KEHU_PID=$!
	for _ in $(seq 100); do grep -q serving "$WORK/kehu.out" && break; sleep 0.1; done
	KEHU_URL=$(grep -o 'http://[0-9.:]*' "$WORK/kehu.out")
	curl -sf -X POST -H 'Content-Type: application/json' -d "{\"username\":\"admin\",\"password\":\"$PASSWORD\"}" \
		"$KEHU_URL/api/v1/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])' >"$WORK/token"
}
stop_kehu() {
	kill "$KEHU_PID"
	wait "$KEHU_PID" || true
	KEHU_PID=
}

export KEHU_BENCH_DIR=$ROOT/bench/api KEHU_BENCH_TOKEN_FILE=$WORK/token KEHU_BENCH_MAX_ID=$MAX_ID
# Warm both databases: the machine pages out file data it thinks idle.
cat "$DB" "$DB-wal" >/dev/null 2>&1 || true
"$PGBIN/psql" -X -q -d "$PG_DB" -c "SELECT count(*) FROM contacts" -c "SELECT count(*) FROM kh_search" >/dev/null

RESULT=bench/results/pg-$(date -u +%Y%m%dT%H%M%SZ).md
{
	echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); $(date -u +%F); PostgreSQL $("$PGBIN/postgres" --version | awk '{print $3}') on loopback TCP."
	echo "Data: kehu demo --customers $CUSTOMERS on SQLite, copied by kehu migrate-data ($(sqlite3 "$DB" 'SELECT count(*) FROM contacts') contacts)."
	echo "Load: wrk -t2 -c$CONNECTIONS -d$DURATION (median of $RUNS); pgbench -M prepared -T ${DURATION%s} with as many clients as kehu has threads (= its PostgreSQL connections)."
	echo
	echo "| threads | operation | SQLite req/s | SQLite p99 ms | PostgreSQL req/s | PostgreSQL p99 ms | same, on the HTTP threads (--db-workers 0) req/s | p99 ms | pgbench same SELECT tps | kehu/pgbench | pgbench -S tps |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|"
} | tee "$RESULT"

for T in $THREADS_LIST; do
	declare -A res=()
	for engine in sqlite pg inline; do
		case $engine in
		sqlite) start_kehu "$DB" "$T" ;;
		pg) start_kehu "$PG_DB" "$T" ;;
		inline) start_kehu "$PG_DB" "$T" --db-workers 0 ;;
		esac
		for op in point list; do
			: >"$WORK/k"
			for _ in $(seq "$RUNS"); do run_wrk "$KEHU_URL" "$ROOT/bench/api/$op.lua" >>"$WORK/k"; done
			errors=$(awk '{ s += $4 } END { print s + 0 }' "$WORK/k")
			if [ "$errors" -gt 0 ]; then
				echo "$engine $op threads $T: $errors requests failed or timed out" >&2
				tail -5 "$WORK/kehu.err" >&2
			fi
			res[$engine.$op]="$(cut -d' ' -f1 "$WORK/k" | median) $(cut -d' ' -f3 "$WORK/k" | median) $errors"
		done
		stop_kehu
	done
	s_pgb=$(run_pgbench "$T" -S "$BASE/pgb")
	for op in point list; do
		if [ $op = point ]; then p=$(run_pgbench "$T" -f "$WORK/point.sql" "$PG_DB"); else
			p=$(run_pgbench "$T" -f "$WORK/list_first.sql@1" -f "$WORK/list_cursor.sql@1" "$PG_DB"); fi
		read -r s_rps s_p99 s_err <<<"${res[sqlite.$op]}"
		read -r p_rps p_p99 p_err <<<"${res[pg.$op]}"
		read -r i_rps i_p99 i_err <<<"${res[inline.$op]}"
		[ "$i_err" -gt 0 ] && i_p99="$i_p99 ($i_err errors)"
		tps=${p%% *}
		ratio=$(awk -v k="$p_rps" -v n="$tps" 'BEGIN { printf "%.0f%%", 100 * k / n }')
		[ "$p_err" -gt 0 ] && p_p99="$p_p99 ($p_err errors)"
		echo "| $T | $op | $s_rps | $s_p99 | $p_rps | $p_p99 | $i_rps | $i_p99 | $tps | $ratio | ${s_pgb%% *} |" | tee -a "$RESULT"
	done
	unset res
done
echo >&2
echo "written to $RESULT" >&2
