#!/usr/bin/env bash
# Plots a bench/scale/analytics.sh result (its .tsv) into docs/bench/:
#   scale-analytics.png        time per customer against customers, one panel
#                              per model, Kehu and its pandas/scipy/scikit-learn
#                              reference (log-log: a flat line is linear cost)
#   scale-analytics-ratio.png  reference time / Kehu time against customers
#
#   bench/scale/analytics_plot.sh bench/results/scale-analytics-STAMP.tsv
set -euo pipefail
cd "$(dirname "$0")/../.."
TSV=$1
OUT=docs/bench
mkdir -p "$OUT"
DAT=$(mktemp "${TSV%.tsv}.XXXXXX.dat")
trap 'rm -f "$DAT"' EXIT
# The models in the TSV's order; gnuplot's titles, one word each.
MODELS=$(awk -F'\t' 'NR > 1 && !seen[$3]++ { print $3 }' "$TSV")
TITLES="CSV_load summary RFM ABC BG/NBD Gamma-Gamma CLV chain_(all_six) k-means logistic_regression"
[ "$(echo "$MODELS" | wc -l)" -eq 10 ] || { echo "analytics_plot.sh: expected 10 models in $TSV" >&2; exit 1; }

# One block per model (gnuplot's index): customers, Kehu µs a customer,
# reference µs a customer (NaN where missing), speed-up (NaN where missing).
while IFS= read -r m; do
	awk -F'\t' -v m="$m" 'NR > 1 && $3 == m { printf "%s %s %s %s\n", $1, $7, ($8 == "" ? "NaN" : $8), ($6 == "" ? "NaN" : $6) }' "$TSV"
	printf '\n\n'
done <<<"$MODELS" >"$DAT"

gnuplot <<PLOT
titles = "$TITLES"
t(i) = system(sprintf("echo '%s' | tr _ ' '", word(titles, i)))
set terminal pngcairo size 1400,900 font "sans,10"
set output "$OUT/scale-analytics.png"
set multiplot layout 2,5 title "Time per customer against customers (log-log; flat = linear cost): Kehu (blue circles) and pandas/scipy/scikit-learn (red squares), same run, same data"
set logscale xy 10
set format x "10^{%L}"
set format y "%g"
set xrange [5000:20000000]
set grid
unset key
set xlabel "customers"
set ylabel "µs per customer"
do for [i=1:10] {
	set title t(i)
	plot "$DAT" index (i-1) using 1:2 with linespoints lw 2 pt 7 lc rgb "#1f77b4" title "Kehu", \
	     "$DAT" index (i-1) using 1:3 with linespoints lw 2 pt 5 lc rgb "#d62728" title "reference"
}
unset multiplot

set terminal pngcairo size 1000,620 font "sans,11"
set output "$OUT/scale-analytics-ratio.png"
set title "Speed-up against customers: reference time / Kehu time, measured in the same run"
set ylabel "reference seconds / Kehu seconds"
set key outside right
colors = "#1f77b4 #ff7f0e #2ca02c #d62728 #9467bd #8c564b #e377c2 #000000 #17becf #bcbd22"
plot for [i=1:10] "$DAT" index (i-1) using 1:4 with linespoints lw 2 pt i lc rgb word(colors, i) title t(i)
PLOT
echo "plotted $OUT/scale-analytics.png and $OUT/scale-analytics-ratio.png" >&2
