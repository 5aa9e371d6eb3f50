#!/usr/bin/env bash
# The scaling curve of the analytics models: bench/analytics's kernels (CSV
# load, summary, RFM, ABC, BG/NBD, Gamma-Gamma, CLV, k-means, logistic
# regression) at each number of customers, each next to its reference measured
# in the same run - the same computations in Debian's pandas/scipy and
# scikit-learn (bench/analytics/reference.py), with the results compared
# customer by customer - because absolute times drift on a shared machine.
#
#   TMPDIR=/path/with/space bench/scale/analytics.sh [--sizes "10000 100000 1000000 10000000"]
#       [--runs 3] [--ref-timeout 2400] [--ref-mem-gb 20] [--keep-csv]
#   bench/scale/analytics.sh --report bench/results/scale-analytics-STAMP
#
# Each size's transaction lines are generated once (bench/analytics/gen.py,
# about 35 bytes a line and 10 lines a customer: 3.5 GB at 10M) into
# $TMPDIR/kehu-scale-analytics and deleted after the run unless --keep-csv.
# Sizes up to 100,000 customers run --runs times and keep each step's fastest
# time on both sides (a step of a millisecond shows every busy moment); larger
# ones run once. The reference runs under a time limit (--ref-timeout
# seconds) and an address-space limit (--ref-mem-gb), so that a size too big
# for pandas is reported as missing instead of thrashing the machine; its
# Kehu figures are still measured. Every size's raw results stay in
# bench/results/scale-analytics-STAMP/ (--report rebuilds the tables and
# plots from them). Writes bench/results/scale-analytics-STAMP.tsv and .md and
# plots docs/bench/scale-analytics.png (time per customer against size) and
# docs/bench/scale-analytics-ratio.png (reference time / Kehu time).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
SIZES="10000 100000 1000000 10000000" RUNS=3 REF_TIMEOUT=2400 REF_MEM_GB=20 KEEP=0 REPORT=
while [ $# -gt 0 ]; do
	case "$1" in
	--sizes) SIZES=$2; shift 2 ;;
	--runs) RUNS=$2; shift 2 ;;
	--ref-timeout) REF_TIMEOUT=$2; shift 2 ;;
	--ref-mem-gb) REF_MEM_GB=$2; shift 2 ;;
	--keep-csv) KEEP=1; shift ;;
	--report) REPORT=$2; shift 2 ;;
	*) echo "usage: bench/scale/analytics.sh [--sizes \"10000 100000\"] [--runs N] [--ref-timeout S] [--ref-mem-gb G] [--keep-csv] | --report DIR" >&2; exit 2 ;;
	esac
done
PY=/usr/bin/python3

report() { # dir [quiet]
	if [ -n "${2:-}" ]; then
		$PY bench/scale/analytics_report.py "$1" >/dev/null 2>&1
		bench/scale/analytics_plot.sh "$1.tsv" 2>/dev/null
	else
		$PY bench/scale/analytics_report.py "$1"
		bench/scale/analytics_plot.sh "$1.tsv"
	fi
}
if [ -n "$REPORT" ]; then
	report "${REPORT%/}"
	exit 0
fi

BUILD=${BUILD:-$ROOT/build/r-analytics}
cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKEHU_WERROR=OFF >/dev/null
cmake --build "$BUILD" -j2 --target bench_analytics >/dev/null
DATA=${TMPDIR:-/tmp}/kehu-scale-analytics
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RES=bench/results/scale-analytics-$STAMP
mkdir -p "$DATA" "$RES"
{
	echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//; s/ *$//')"
	echo "commit: $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src bench/analytics || echo ' (with uncommitted changes in src or bench/analytics)')"
	echo "started: $(date -u '+%F %H:%M') UTC"
	echo "python: $($PY -c 'import pandas, scipy, sklearn, numpy; print(f"pandas {pandas.__version__}, scipy {scipy.__version__}, scikit-learn {sklearn.__version__}, numpy {numpy.__version__}")')"
	echo "reference limits: ${REF_TIMEOUT} s, ${REF_MEM_GB} GB of address space"
} >"$RES/machine.txt"
cat "$RES/machine.txt" >&2
load() { cut -d' ' -f1 /proc/loadavg; }

for N in $SIZES; do
	CSV=$DATA/lines-$N.csv OUT=$DATA/out-$N
	if [ ! -f "$CSV" ]; then
		echo "generating $CSV" >&2
		/usr/bin/time -f '%e %M' -o "$DATA/gen-$N.time" $PY bench/analytics/gen.py --customers "$N" --out "$CSV.part"
		mv "$CSV.part" "$CSV"
	fi
	R=1
	[ "$N" -le 100000 ] && R=$RUNS
	for r in $(seq "$R"); do
		echo "$N customers, run $r/$R: bench_analytics (load $(load))" >&2
		load >"$RES/$N-kehu-$r.load"
		rm -rf "$OUT"
		/usr/bin/time -f '%e %M' -o "$RES/$N-kehu-$r.time" "$BUILD/bench_analytics" "$CSV" "$OUT" >&2
		cp "$OUT/params.json" "$RES/$N-kehu-$r.json"
		echo "$N customers, run $r/$R: reference.py (load $(load))" >&2
		load >"$RES/$N-ref-$r.load"
		# timeout's status 124 (or a MemoryError's 1) leaves no JSON: the
		# report calls the size's reference missing and says why.
		status=0
		(ulimit -v $((REF_MEM_GB * 1024 * 1024)) && exec /usr/bin/time -f '%e %M' -o "$RES/$N-ref-$r.time" \
			timeout "$REF_TIMEOUT" $PY bench/analytics/reference.py "$CSV" "$OUT") \
			>"$RES/$N-ref-$r.out" 2>"$RES/$N-ref-$r.err" || status=$?
		if [ "$status" -eq 0 ]; then
			mv "$RES/$N-ref-$r.out" "$RES/$N-ref-$r.json"
		else
			echo "$status" >"$RES/$N-ref-$r.failed"
			echo "reference.py at $N failed with status $status (124 = over ${REF_TIMEOUT} s); see $RES/$N-ref-$r.err" >&2
			break
		fi
	done
	[ "$KEEP" = 1 ] || [ "$N" -lt 1000000 ] || rm -f "$CSV"
	rm -rf "$OUT"
	report "$RES" quiet # after each size, so that a long run's finished sizes are reported
done
echo "finished: $(date -u '+%F %H:%M') UTC" >>"$RES/machine.txt"
report "$RES"
