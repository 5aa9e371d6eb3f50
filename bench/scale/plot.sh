#!/usr/bin/env bash
# Plots a bench/scale/run.sh result (its .tsv) into docs/bench/:
#   scale-api.png   each operation's throughput as a ratio to nginx in the same
#                   run, relative to that ratio at the smallest size (flat = 1)
#   scale-p99.png   each operation's p99 latency against size
#   scale-load.png  the demo load's rows/s as a ratio to a bare SQLite insert
#
#   bench/scale/plot.sh bench/results/scale-YYYYMMDDTHHMMSSZ.tsv
set -euo pipefail
cd "$(dirname "$0")/../.."
TSV=$1
OUT=docs/bench
mkdir -p "$OUT"
DAT=$(mktemp "${TSV%.tsv}.XXXXXX.dat")
trap 'rm -f "$DAT"' EXIT
OPS="point list search summary update create"

# One block per operation (gnuplot's index): size, ratio relative to the
# smallest size, p99 ms. Then one block for the load.
for op in $OPS demo-load; do
	awk -F'\t' -v op="$op" 'NR > 1 && $2 == op { if (!base) base = $5; printf "%s %.4f %s %.4f\n", $1, $5 / base, ($7 == "" ? "NaN" : $7), $5 }' "$TSV"
	printf '\n\n'
done >"$DAT"

gnuplot <<PLOT
set terminal pngcairo size 900,560 font "sans,11"
set logscale x 10
set format x "10^{%L}"
set xlabel "customers in the database"
set key outside right
set grid
ops = "$OPS"

set output "$OUT/scale-api.png"
set title "Throughput against size (each as kehu/nginx in the same run, relative to the smallest size)"
set ylabel "relative throughput (1 = as at the smallest size)"
set yrange [0:1.6]
plot for [i=1:words(ops)] "$DAT" index (i-1) using 1:2 with linespoints lw 2 title word(ops, i)

set output "$OUT/scale-p99.png"
set title "p99 latency against size (wrk -c64; absolute, so it drifts with the machine's load)"
set ylabel "p99 ms"
set autoscale y
set logscale y 10
plot for [i=1:words(ops)] "$DAT" index (i-1) using 1:3 with linespoints lw 2 title word(ops, i)

set output "$OUT/scale-load.png"
set title "kehu demo load: rows/s as a ratio to a bare SQLite insert of as many rows"
set ylabel "kehu rows/s / bare insert rows/s"
unset logscale y
set yrange [0:*]
plot "$DAT" index words(ops) using 1:4 with linespoints lw 2 title "demo load"
PLOT
echo "plotted $OUT/scale-api.png, scale-p99.png, scale-load.png" >&2
