#!/bin/sh
# The analytics benchmark: Kehu's kernels against pandas/scipy and
# scikit-learn in the same run, on the same data, with the results compared.
#
#   TMPDIR=/path/with/space bench/analytics/run.sh [--customers 1000000] [--respondents 10000] [--bootstrap 1000]
#
# Builds a release binary (build/r-analytics, or $BUILD), generates the
# transaction lines once (bench/analytics/gen.py; kept in $TMPDIR), runs
# bench_analytics and reference.py on them, then PLS with bootstrap
# (pls_bench.py), and prints the tables of docs/BENCHMARKS.md. The reference
# is Debian's python3 (/usr/bin/python3 with python3-pandas, -scipy, -sklearn).
set -e
CUSTOMERS=1000000
RESPONDENTS=10000
BOOTSTRAP=1000
while [ $# -gt 0 ]; do
	case $1 in
	--customers) CUSTOMERS=$2; shift 2 ;;
	--respondents) RESPONDENTS=$2; shift 2 ;;
	--bootstrap) BOOTSTRAP=$2; shift 2 ;;
	*) echo "usage: $0 [--customers N] [--respondents N] [--bootstrap N]" >&2; exit 2 ;;
	esac
done
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-$ROOT/build/r-analytics}
PY=/usr/bin/python3
DATA=${TMPDIR:-/tmp}/kehu-bench-analytics
mkdir -p "$DATA"

cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DKEHU_WERROR=OFF >/dev/null
cmake --build "$BUILD" -j2 --target kehu bench_analytics >/dev/null

CSV=$DATA/lines-$CUSTOMERS.csv
[ -f "$CSV" ] || $PY "$ROOT/bench/analytics/gen.py" --customers "$CUSTOMERS" --out "$CSV"
OUT=$DATA/out-$CUSTOMERS
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
"$BUILD/bench_analytics" "$CSV" "$OUT" >&2
/usr/bin/time -f '%e %M' -o "$OUT/cli.time" "$BUILD/kehu" analyze clv --csv "$CSV" --json >/dev/null
$PY "$ROOT/bench/analytics/reference.py" "$CSV" "$OUT" >"$OUT/reference.json"
$PY "$ROOT/bench/analytics/pls_bench.py" "$BUILD/kehu" --respondents "$RESPONDENTS" --bootstrap "$BOOTSTRAP" >"$OUT/pls.json"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

$PY - "$OUT" "$CSV" <<'PYEOF'
import json, os, sys
out, csv = sys.argv[1], sys.argv[2]
k = json.load(open(f'{out}/params.json'))
r = json.load(open(f'{out}/reference.json'))
p = json.load(open(f'{out}/pls.json'))
cli_s, cli_kb = open(f'{out}/cli.time').read().split()
ks, rs, c = k['seconds'], r['seconds'], r['compare']
mb = os.path.getsize(csv) / 1e6
kc, rc = k['cpu_seconds'], r['cpu_seconds']
print(f"| customers | lines | CSV | Kehu: RFM+ABC+BG/NBD+GG+CLV | pandas/scipy | speed-up | CPU time, Kehu / pandas | Kehu read CSV | pandas read_csv | kehu analyze clv --json (end to end) | peak RSS |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
print(f"| {k['customers']} | {k['lines']} | {mb:.0f} MB | {ks['rfm_abc_bgnbd_gg_clv']:.2f} s | {rs['rfm_abc_bgnbd_gg_clv']:.2f} s | "
      f"{rs['rfm_abc_bgnbd_gg_clv'] / ks['rfm_abc_bgnbd_gg_clv']:.0f}x | {kc['rfm_abc_bgnbd_gg_clv']:.2f} s / {rc['rfm_abc_bgnbd_gg_clv']:.2f} s | "
      f"{ks['load_csv']:.2f} s | {rs['read_csv']:.2f} s | "
      f"{float(cli_s):.2f} s | {k['peak_rss_mb']:.0f} MB (CLI {int(cli_kb) // 1024} MB) |")
print()
print("| step | Kehu | pandas/scipy |")
print("|---|---|---|")
for s in ('summary', 'rfm', 'abc', 'bgnbd', 'gamma_gamma', 'clv'):
    print(f"| {s} | {ks[s]:.3f} s | {rs[s]:.3f} s |")
print()
print("| model | Kehu | scikit-learn | speed-up | CPU time, Kehu / scikit-learn | quality |")
print("|---|---|---|---|---|---|")
print(f"| k-means, k = 5, 10 restarts, {k['customers']} x 4 | {ks['kmeans']:.2f} s | {rs['kmeans']:.2f} s | "
      f"{rs['kmeans'] / ks['kmeans']:.1f}x | {kc['kmeans']:.2f} s / {rc['kmeans']:.2f} s | inertia {c['kmeans_inertia']['kehu']:.1f} vs {c['kmeans_inertia']['sklearn']:.1f} |")
# Kehu's time includes standardising the features (kh_logreg_fit does it);
# scikit-learn's is the fit alone, with its standardising given apart.
rsd, rcd = rs['logreg_standardise'], rc['logreg_standardise']
print(f"| logistic regression, L2 (C = 1), {k['logreg']['rows']} x 5, best of 3 | {ks['logreg']:.3f} s | {rs['logreg']:.3f} s "
      f"(+ {rsd:.3f} s standardising) | {rs['logreg'] / ks['logreg']:.1f}x ({(rs['logreg'] + rsd) / ks['logreg']:.1f}x with the standardising) | "
      f"{kc['logreg']:.3f} s / {rc['logreg']:.3f} s (+ {rcd:.3f} s) | AUC {c['logreg_auc']['kehu']:.9f} vs {c['logreg_auc']['sklearn']:.9f}; "
      f"coefficients differ by {c['logreg_beta_max_abs_diff']:.1e} (Kehu fits to a gradient of 1e-10 a row, scikit-learn's lbfgs "
      f"to its tol of 1e-4 in {c['logreg_sklearn_iterations']} iterations) |")
print()
print("Same results: RFM scores equal for {:.2%} of customers, segments {:.2%}, ABC classes {:.2%}; "
      "BG/NBD parameters within {:.1e} (relative), log-likelihood {:.2f} vs {:.2f}; Gamma-Gamma within {:.1e}; "
      "P(alive) within {:.1e}; CLV within {:.1e} (relative), total {:.0f} vs {:.0f}.".format(
          c['rfm_scores_equal'], c['segments_equal'], c['abc_equal'], c['bgnbd_params_max_rel_diff'],
          c['bgnbd_loglik']['kehu'], c['bgnbd_loglik']['scipy'], c['gg_params_max_rel_diff'],
          c['p_alive_max_abs_diff'], c['clv_max_rel_diff'], c['clv_total']['kehu'], c['clv_total']['scipy']))
print()
print("| PLS path model (ECSI) | respondents | bootstrap | Kehu (kehu analyze pls) | numpy reference | speed-up | agreement |")
print("|---|---|---|---|---|---|---|")
print(f"| path weighting | {p['respondents']} | {p['bootstrap']} | {p['seconds']['kehu_analyze_pls']:.2f} s | "
      f"{p['seconds']['numpy_reference']:.2f} s | {p['seconds']['numpy_reference'] / p['seconds']['kehu_analyze_pls']:.0f}x | "
      f"paths within {p['paths_max_abs_diff']:.1e}; bootstrap SEs within {p['se_max_rel_diff']:.0%} (different resamples) |")
PYEOF
