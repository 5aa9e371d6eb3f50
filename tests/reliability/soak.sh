#!/usr/bin/env bash
# The soak: a mixed read/write load (tests/reliability/soak.lua) held at 70% of
# the capacity measured at the start of the same run, minute after minute, by
# wrk against `kehu serve` on a demo database. Prints a table per minute
# (requests/s, p50, p99, errors, resident memory) and fails if any answer was
# not 2xx, if a socket failed, or if resident memory grew by more than 20%
# (plus 8 MB) from the first minute to the last. Latency is reported, not
# asserted: the machines drift. Run by `make soak`.
#
#   tests/reliability/soak.sh [--kehu build/release/kehu] [--minutes 10] [--customers 20000] [--dir build/soak]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
KEHU=build/release/kehu MINUTES=10 CUSTOMERS=20000 DIR=build/soak CONNECTIONS=32 LOAD=70
while [ $# -gt 0 ]; do
	case "$1" in
	--kehu) KEHU=$2; shift 2 ;;
	--minutes) MINUTES=$2; shift 2 ;;
	--customers) CUSTOMERS=$2; shift 2 ;;
	--dir) DIR=$2; shift 2 ;;
	*) echo "usage: tests/reliability/soak.sh [--kehu PATH] [--minutes N] [--customers N] [--dir DIR]" >&2; exit 2 ;;
	esac
done
KEHU=$(realpath "$KEHU")
mkdir -p "$DIR"
DIR=$(realpath "$DIR")
DB=$DIR/soak.db PASSWORD=soak-password
rm -f "$DB" "$DB-wal" "$DB-shm" # a fresh database each time; nothing else in DIR is touched
KEHU_PID=
cleanup() { [ -n "$KEHU_PID" ] && kill "$KEHU_PID" 2>/dev/null && wait "$KEHU_PID" 2>/dev/null; true; }
trap cleanup EXIT

KEHU_ADMIN_PASSWORD=$PASSWORD "$KEHU" init --db "$DB" >/dev/null
"$KEHU" demo --db "$DB" --customers "$CUSTOMERS" >/dev/null
"$KEHU" serve --db "$DB" --listen 127.0.0.1:0 --threads 2 >"$DIR/kehu.out" 2>"$DIR/kehu.err" &
KEHU_PID=$!
for _ in $(seq 100); do grep -q serving "$DIR/kehu.out" && break; sleep 0.1; done
URL=$(grep -o 'http://[0-9.:]*' "$DIR/kehu.out")
curl -sf -X POST -H 'Content-Type: application/json' -d "{\"username\":\"admin\",\"password\":\"$PASSWORD\"}" \
	"$URL/api/v1/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])' >"$DIR/token"
export KEHU_SOAK_TOKEN_FILE=$DIR/token KEHU_SOAK_THREADS=2
KEHU_SOAK_MAX_ID=$(sqlite3 "$DB" 'SELECT max(id) FROM contacts')
export KEHU_SOAK_MAX_ID

# Runs wrk for a while; prints "requests/s p50_ms p99_ms errors".
run_wrk() { # duration
	wrk -t2 -c"$CONNECTIONS" -d"$1" --latency -s "$ROOT/tests/reliability/soak.lua" "$URL" 2>&1 | awk '
		function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
		/Requests\/sec/ { rps = $2 }
		/^ +50%/ { p50 = ms($2) }
		/^ +99%/ { p99 = ms($2) }
		/Non-2xx/ { errors += $5 }
		/Socket errors/ { gsub(/,/, ""); errors += $4 + $6 + $8 + $10 }
		END { printf "%.0f %.2f %.2f %d\n", rps, p50, p99, errors + 0 }'
}
rss_mb() { echo $(($(ps -o rss= -p "$KEHU_PID") / 1024)); }

cat "$DB" "$DB-wal" >/dev/null 2>&1 || true # the machine pages out file data it thinks idle
run_wrk 5s >/dev/null                        # warm the caches
read -r CAPACITY _ _ CAP_ERRORS < <(KEHU_SOAK_RATE=0 run_wrk 20s)
RATE=$((CAPACITY * LOAD / 100))
RESULT=$DIR/soak.md
{
	echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); load average at start: $(cut -d' ' -f1-3 /proc/loadavg); $(date -u +%FT%TZ)."
	echo "Data: kehu demo --customers $CUSTOMERS; kehu serve --threads 2; wrk -t2 -c$CONNECTIONS, tests/reliability/soak.lua (80% reads, 20% writes)."
	echo "Capacity (closed loop, 20 s): $CAPACITY requests/s ($CAP_ERRORS errors); held: $RATE requests/s ($LOAD%) for $MINUTES minutes."
	echo
	echo "| minute | requests/s | p50 ms | p99 ms | errors | RSS MB |"
	echo "|---|---|---|---|---|---|"
} | tee "$RESULT"
ERRORS=$CAP_ERRORS
for m in $(seq "$MINUTES"); do
	read -r rps p50 p99 errors < <(KEHU_SOAK_RATE=$RATE run_wrk 60s)
	rss=$(rss_mb)
	ERRORS=$((ERRORS + errors))
	[ "$m" -eq 1 ] && { FIRST_RSS=$rss; FIRST_P99=$p99; }
	echo "| $m | $rps | $p50 | $p99 | $errors | $rss |" | tee -a "$RESULT"
done

kill "$KEHU_PID"
wait "$KEHU_PID" && status=0 || status=$?
KEHU_PID=
INTEGRITY=$(sqlite3 "$DB" 'PRAGMA integrity_check')
{
	echo
	echo "Errors: $ERRORS. RSS first minute $FIRST_RSS MB, last $rss MB. p99 first minute $FIRST_P99 ms, last $p99 ms" \
		"(ratio $(awk -v a="$p99" -v b="$FIRST_P99" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'))." \
		"Server exit status $status; integrity_check: $INTEGRITY; load average at end: $(cut -d' ' -f1-3 /proc/loadavg)."
} | tee -a "$RESULT"
echo "written to $RESULT" >&2
fail=0
[ "$ERRORS" -eq 0 ] || { echo "soak: $ERRORS answers were errors" >&2; tail -5 "$DIR/kehu.err" >&2; fail=1; }
[ "$rss" -le $((FIRST_RSS * 120 / 100 + 8)) ] || { echo "soak: resident memory grew from $FIRST_RSS to $rss MB" >&2; fail=1; }
[ "$status" -eq 0 ] || { echo "soak: the server exited with $status on SIGTERM" >&2; fail=1; }
[ "$INTEGRITY" = ok ] || { echo "soak: integrity_check says $INTEGRITY" >&2; fail=1; }
exit $fail
