#!/usr/bin/env bash
# The API benchmark: wrk against `kehu serve` on the demo database, next to nginx
# serving static files of the same sizes, in the same run. Prints a Markdown table
# (also written to bench/results/) of median requests/s over the runs, p50/p99
# latency, the ratio to nginx and the server's peak resident memory. For the
# point read and the list page it also runs the bare server (bench/api/bare.c:
# libmicrohttpd and SQLite set up as Kehu's, the same queries, nothing else),
# the floor under Kehu's figures.
#
#   bench/api/run.sh [--customers 1000000] [--runs 3] [--duration 10s] [--connections 64]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
CUSTOMERS=1000000 RUNS=3 DURATION=10s CONNECTIONS=64 THREADS=$((2 * $(nproc))) WORKERS=$(nproc)
while [ $# -gt 0 ]; do
  case "$1" in
    --customers) CUSTOMERS=$2; shift 2 ;;
    --runs) RUNS=$2; shift 2 ;;
    --duration) DURATION=$2; shift 2 ;;
    --connections) CONNECTIONS=$2; shift 2 ;;
    *) echo "usage: bench/api/run.sh [--customers N] [--runs N] [--duration 10s] [--connections N]" >&2; exit 2 ;;
  esac
done

scripts/deps.sh bench
cmake -S . -B build/release -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKEHU_WERROR=OFF >/dev/null
cmake --build build/release -j "$(nproc)" --target kehu bench_bare >/dev/null
KEHU=$ROOT/build/release/kehu
PASSWORD=bench-password
mkdir -p bench/data bench/results
DB=$ROOT/bench/data/demo-$CUSTOMERS.db
if [ ! -f "$DB" ]; then
  echo "creating $DB (kehu demo --customers $CUSTOMERS)" >&2
  KEHU_ADMIN_PASSWORD=$PASSWORD "$KEHU" demo --db "$DB" --customers "$CUSTOMERS" >/dev/null
fi

WORK=$(mktemp -d /tmp/kehu-bench.XXXXXX)
chmod 755 "$WORK"
KEHU_PID= NGINX_PID= BARE_PID=
cleanup() {
  [ -n "$KEHU_PID" ] && kill "$KEHU_PID" 2>/dev/null && wait "$KEHU_PID" 2>/dev/null || true
  [ -n "$BARE_PID" ] && kill "$BARE_PID" 2>/dev/null || true
  [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# The machine pages out file data it thinks idle: read the database once first.
cat "$DB" "$DB-wal" >/dev/null 2>&1 || true

"$KEHU" serve --db "$DB" --listen 127.0.0.1:0 --threads "$THREADS" >"$WORK/kehu.out" 2>"$WORK/kehu.err" &
KEHU_PID=$!
for _ in $(seq 100); do grep -q serving "$WORK/kehu.out" && break; sleep 0.1; done
KEHU_URL=$(grep -o 'http://[0-9.:]*' "$WORK/kehu.out")
curl -sf -X POST -H 'Content-Type: application/json' -d "{\"username\":\"admin\",\"password\":\"$PASSWORD\"}" \
  "$KEHU_URL/api/v1/auth/login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])' >"$WORK/token"
TOKEN=$(cat "$WORK/token")
MAX_ID=$(sqlite3 "$DB" 'SELECT max(id) FROM contacts')

# Static files of the same sizes as Kehu's answers, for nginx.
mkdir -p "$WORK/www"
chmod 755 "$WORK/www"
get() { curl -sf -H "Authorization: Bearer $TOKEN" "$KEHU_URL$1"; }
get "/api/v1/contacts/$((MAX_ID / 2))" >"$WORK/www/point.json"
get "/api/v1/contacts?limit=50&city=%E4%B8%8A%E6%B5%B7" >"$WORK/www/list.json"
get "/api/v1/search?limit=20&q=%E7%8E%8B%E4%BC%9F" >"$WORK/www/search.json"
get "/api/v1/contacts/$((MAX_ID / 2))/summary" >"$WORK/www/summary.json"
cp "$WORK/www/point.json" "$WORK/www/create.json"
cp "$WORK/www/point.json" "$WORK/www/update.json"
chmod 644 "$WORK/www"/*.json

# Two nginx servers on the same files: as Debian ships it (an access log line per
# request, sendfile) - the reference - and tuned (no access log), for the record.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
NGINX_PORT=$(free_port)
NGINX_FAST_PORT=$(free_port)
cat >"$WORK/nginx.conf" <<CONF
worker_processes $WORKERS;
pid $WORK/nginx.pid;
error_log $WORK/nginx-error.log;
events { worker_connections 4096; }
http {
  sendfile on;
  tcp_nopush on;
  keepalive_timeout 65;
  types { application/json json; }
  server {
    listen 127.0.0.1:$NGINX_PORT;
    root $WORK/www;
    access_log $WORK/nginx-access.log;
  }
  server {
    listen 127.0.0.1:$NGINX_FAST_PORT;
    root $WORK/www;
    access_log off;
  }
}
CONF
nginx -c "$WORK/nginx.conf" -g 'daemon off;' &
NGINX_PID=$!

BARE_PORT=$(free_port)
"$ROOT/build/release/bench_bare" "$DB" "$BARE_PORT" "$THREADS" >"$WORK/bare.out" &
BARE_PID=$!
sleep 0.5

export KEHU_BENCH_DIR=$ROOT/bench/api KEHU_BENCH_TOKEN_FILE=$WORK/token KEHU_BENCH_MAX_ID=$MAX_ID

# Runs wrk; prints "requests/s p50_ms p99_ms errors".
run_wrk() { # url script
  wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency -s "$2" "$1" 2>&1 | awk '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v }
    /Requests\/sec/ { rps = $2 }
    /^ +50%/ { p50 = ms($2) }
    /^ +99%/ { p99 = ms($2) }
    /Non-2xx/ { errors = $5 }
    /Socket errors/ { errors += 0 }
    END { printf "%.0f %.2f %.2f %d\n", rps, p50, p99, errors + 0 }'
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

peak_rss() { # pid: samples the resident set every 200 ms until told to stop
  local max=0 rss
  while [ ! -f "$WORK/stop-rss" ]; do
    rss=$(ps -o rss= -p "$1" 2>/dev/null || echo 0)
    [ "${rss:-0}" -gt "$max" ] && max=$rss
    sleep 0.2
  done
  echo $((max / 1024))
}

RESULT=bench/results/api-$(date -u +%Y%m%dT%H%M%SZ).md
{
  echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo); $(date -u +%F)."
  echo "Data: kehu demo --customers $CUSTOMERS ($(sqlite3 "$DB" 'SELECT count(*) FROM contacts') contacts, $(sqlite3 "$DB" 'SELECT count(*) FROM orders') orders)."
  echo "Load: wrk -t2 -c$CONNECTIONS -d$DURATION, median of $RUNS runs; kehu serve --threads $THREADS; nginx worker_processes $WORKERS,"
  echo "sendfile, an access log as Debian's default configuration has (the reference), and again without the log. Load average at start: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "| operation | answer bytes | kehu req/s | nginx req/s | kehu/nginx | kehu p50 ms | kehu p99 ms | kehu peak RSS MB | nginx without access log req/s | bare server req/s (of nginx), p99 ms |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
} | tee "$RESULT"

for op in point list search summary update create; do
  rm -f "$WORK/stop-rss"
  peak_rss "$KEHU_PID" >"$WORK/rss" &
  RSS_PID=$!
  : >"$WORK/k" ; : >"$WORK/n" ; : >"$WORK/f" ; : >"$WORK/b"
  for _ in $(seq "$RUNS"); do
    case $op in point | list) KEHU_BENCH_BARE=$op run_wrk "http://127.0.0.1:$BARE_PORT" "$ROOT/bench/api/bare.lua" >>"$WORK/b" ;; esac
    run_wrk "$KEHU_URL" "$ROOT/bench/api/$op.lua" >>"$WORK/k"
    KEHU_BENCH_STATIC=/$op.json run_wrk "http://127.0.0.1:$NGINX_PORT" "$ROOT/bench/api/static.lua" >>"$WORK/n"
    KEHU_BENCH_STATIC=/$op.json run_wrk "http://127.0.0.1:$NGINX_FAST_PORT" "$ROOT/bench/api/static.lua" >>"$WORK/f"
    : >"$WORK/nginx-access.log" # the log of a run, not of all of them
  done
  touch "$WORK/stop-rss"
  wait "$RSS_PID"
  errors=$(awk '{ s += $4 } END { print s + 0 }' "$WORK/k")
  if [ "$errors" -gt 0 ]; then
    echo "$op: $errors answers were not 2xx; the figures would be meaningless" >&2
    tail -5 "$WORK/kehu.err" >&2
    exit 1
  fi
  k=$(cut -d' ' -f1 "$WORK/k" | median)
  n=$(cut -d' ' -f1 "$WORK/n" | median)
  p50=$(cut -d' ' -f2 "$WORK/k" | median)
  p99=$(cut -d' ' -f3 "$WORK/k" | median)
  bytes=$(stat -c %s "$WORK/www/$op.json")
  ratio=$(awk -v k="$k" -v n="$n" 'BEGIN { printf "%.0f%%", 100 * k / n }')
  f=$(cut -d' ' -f1 "$WORK/f" | median)
  bare=-
  if [ -s "$WORK/b" ]; then
    b=$(cut -d' ' -f1 "$WORK/b" | median)
    bare="$b ($(awk -v b="$b" -v n="$n" 'BEGIN { printf "%.0f%%", 100 * b / n }')), $(cut -d' ' -f3 "$WORK/b" | median)"
  fi
  echo "| $op | $bytes | $k | $n | $ratio | $p50 | $p99 | $(cat "$WORK/rss") | $f | $bare |" | tee -a "$RESULT"
done
echo >&2
echo "written to $RESULT" >&2
