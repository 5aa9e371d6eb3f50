#!/usr/bin/env bash
# The rules benchmark: every automation rule (20, from the kinds of conditions
# rules use) against 100,000 changed opportunities, next to SQLite running the
# same conditions as SQL over the same rows, in the same run; the match counts
# must agree. Prints a Markdown table (also written to bench/results/).
#
#   bench/rules/run.sh [--records 100000] [--repeats 5]
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
RECORDS=100000 REPEATS=5
while [ $# -gt 0 ]; do
  case "$1" in
    --records) RECORDS=$2; shift 2 ;;
    --repeats) REPEATS=$2; shift 2 ;;
    *) echo "usage: bench/rules/run.sh [--records N] [--repeats N]" >&2; exit 2 ;;
  esac
done

scripts/deps.sh
BUILD=$ROOT/build/bench-rules
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKEHU_WERROR=OFF >/dev/null
cmake --build "$BUILD" -j "$(nproc)" --target kehu_core >/dev/null
LIBS=$(pkg-config --libs libmicrohttpd sqlite3 libpq jansson libsodium libzip expat xlsxwriter opencc icu-uc icu-i18n libcurl)
cc -O2 -g -std=gnu11 -I src bench/rules/bench_rules.c "$BUILD/libkehu_core.a" $LIBS -lcsv -lm -lpthread \
  -o "$BUILD/bench_rules"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/kehu-bench-rules.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
mkdir -p bench/results
OUT=bench/results/rules-$(date -u +%Y%m%d-%H%M%S).md
{
  echo "# Rules: $RECORDS changed records ($(date -u +%Y-%m-%d), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
  echo
  "$BUILD/bench_rules" "$WORK/rules.db" "$RECORDS" "$REPEATS"
} | tee "$OUT"
