#!/usr/bin/python3
"""Tables of a bench/scale/analytics.sh run: reads the raw results in DIR
(SIZE-kehu-RUN.json, params.json of bench_analytics; SIZE-ref-RUN.json,
reference.py's output; .time files of /usr/bin/time '%e %M'; .load files, the
1-minute load average as the run started; .failed, a reference that did not
finish) and writes DIR.tsv and DIR.md.

    /usr/bin/python3 bench/scale/analytics_report.py bench/results/scale-analytics-STAMP

Each step's time is the fastest of the size's runs, on each side. Per-customer
figures divide by the customers, for every model (the logistic regression
fits the customers who bought before its cut-off, about 92% of them).
"""
import glob
import json
import os
import re
import sys

res = sys.argv[1].rstrip('/')

# (label, Kehu's key in params.json seconds, reference.py's key, CPU keys)
MODELS = [
    ('CSV load', 'load_csv', 'read_csv', 'load_csv', None),
    ('summary', 'summary', 'summary', None, None),
    ('RFM', 'rfm', 'rfm', None, None),
    ('ABC', 'abc', 'abc', None, None),
    ('BG/NBD', 'bgnbd', 'bgnbd', None, None),
    ('Gamma-Gamma', 'gamma_gamma', 'gamma_gamma', None, None),
    ('CLV', 'clv', 'clv', None, None),
    ('chain: summary+RFM+ABC+BG/NBD+GG+CLV', 'rfm_abc_bgnbd_gg_clv', 'rfm_abc_bgnbd_gg_clv', 'rfm_abc_bgnbd_gg_clv',
     'rfm_abc_bgnbd_gg_clv'),
    ('k-means (k=5, 10 restarts)', 'kmeans', 'kmeans', 'kmeans', 'kmeans'),
    ('logistic regression', 'logreg', 'logreg', 'logreg', 'logreg'),
]


def runs(size, side):
    out = []
    for p in sorted(glob.glob(f'{res}/{size}-{side}-*.json')):
        r = p[:-5]
        t = open(r + '.time').read().split() if os.path.exists(r + '.time') else []
        # /usr/bin/time may put "Command exited with ..." first; the figures
        # are the last line's.
        out.append({'json': json.load(open(p)), 'rss_mb': int(t[-1]) / 1024 if t else None,
                    'load': float(open(r + '.load').read()) if os.path.exists(r + '.load') else None})
    return out


def failures(size):
    out = []
    for p in sorted(glob.glob(f'{res}/{size}-ref-*.failed')):
        r = p[:-7]
        status = int(open(p).read())
        err = open(r + '.err').read().strip().splitlines() if os.path.exists(r + '.err') else []
        t = open(r + '.time').read().split() if os.path.exists(r + '.time') else []
        why = 'over the time limit' if status == 124 else (err[-1] if err else f'status {status}')
        out.append({'status': status, 'why': why, 'seconds': float(t[-2]) if len(t) >= 2 else None,
                    'rss_mb': int(t[-1]) / 1024 if t else None})
    return out


sizes = sorted({int(re.match(r'(\d+)-', os.path.basename(p)).group(1)) for p in glob.glob(f'{res}/*-kehu-*.json')})
machine = open(f'{res}/machine.txt').read().strip().splitlines() if os.path.exists(f'{res}/machine.txt') else []


def fmin(v):
    v = [x for x in v if x is not None]
    return min(v) if v else None


def rng(v):
    v = [x for x in v if x is not None]
    if not v:
        return ''
    return f'{min(v):.2f}' if min(v) == max(v) else f'{min(v):.2f}-{max(v):.2f}'


def num(v, fmt):
    return '' if v is None else format(v, fmt)


rows, agree, work, missing = [], [], [], []
for n in sizes:
    K, R = runs(n, 'kehu'), runs(n, 'ref')
    kj = K[-1]['json']
    for label, kk, rk, kc, rc in MODELS:
        ks = fmin([k['json']['seconds'][kk] for k in K])
        rs = fmin([r['json']['seconds'][rk] for r in R]) if R else None
        kcpu = fmin([k['json']['cpu_seconds'][kc] for k in K]) if kc else None
        rcpu = fmin([r['json']['cpu_seconds'][rc] for r in R]) if (rc and R) else None
        rows.append({
            'customers': n, 'lines': kj['lines'], 'model': label, 'kehu_s': ks, 'ref_s': rs,
            'speedup': rs / ks if (rs is not None and ks > 0) else None,
            'kehu_us_per_customer': ks / n * 1e6, 'ref_us_per_customer': rs / n * 1e6 if rs is not None else None,
            'kehu_cpu_s': kcpu, 'ref_cpu_s': rcpu,
            'kehu_rss_mb': max(k['rss_mb'] or 0 for k in K), 'ref_rss_mb': max(r['rss_mb'] or 0 for r in R) if R else None,
            'load_kehu': rng([k['load'] for k in K]), 'load_ref': rng([r['load'] for r in R]), 'runs': f'{len(K)}/{len(R)}',
        })
    w = {'customers': n, 'bgnbd_rows': kj['bgnbd'].get('distinct_rows'), 'bgnbd_it': kj['bgnbd'].get('iterations'),
         'gg_it': kj['gamma_gamma'].get('iterations'), 'km_it': kj['kmeans'].get('iterations'),
         'lr_it': kj['logreg'].get('iterations'), 'lr_rows': kj['logreg']['rows']}
    if R:
        c = R[-1]['json']['compare']
        agree.append((n, c))
        it = c.get('iterations', {})
        w.update({'bg_nit': it.get('bgnbd_scipy'), 'bg_nfev': it.get('bgnbd_scipy_evaluations'),
                  'gg_nit': it.get('gg_scipy'), 'gg_nfev': it.get('gg_scipy_evaluations'),
                  'km_sk': it.get('kmeans_sklearn_best_run'), 'lr_sk': c.get('logreg_sklearn_iterations')})
    work.append(w)
    for f in failures(n):
        missing.append((n, f))

cols = ['customers', 'lines', 'model', 'kehu_s', 'ref_s', 'speedup', 'kehu_us_per_customer', 'ref_us_per_customer',
        'kehu_cpu_s', 'ref_cpu_s', 'kehu_rss_mb', 'ref_rss_mb', 'load_kehu', 'load_ref', 'runs']
with open(f'{res}.tsv', 'w') as f:
    f.write('\t'.join(cols) + '\n')
    for r in rows:
        f.write('\t'.join('' if r[c] is None else (f'{r[c]:.6g}' if isinstance(r[c], float) else str(r[c]))
                          for c in cols) + '\n')

md = []
md += [f'{m}  ' for m in machine]
md.append('')
md.append('| customers | model | Kehu | pandas/scipy/sklearn | speed-up | Kehu µs/customer | reference µs/customer '
          '| CPU s, Kehu / reference | peak RSS, Kehu / reference | load average (Kehu; reference) |')
md.append('|---|---|---|---|---|---|---|---|---|---|')
for r in rows:
    cpu = '' if r['kehu_cpu_s'] is None else f"{r['kehu_cpu_s']:.3f} / {num(r['ref_cpu_s'], '.3f') or '-'}"
    md.append(f"| {r['customers']} | {r['model']} | {r['kehu_s']:.4f} s | "
              f"{(num(r['ref_s'], '.4f') + ' s') if r['ref_s'] is not None else 'missing'} | "
              f"{(num(r['speedup'], '.1f') + 'x') if r['speedup'] is not None else ''} | {r['kehu_us_per_customer']:.3f} | "
              f"{num(r['ref_us_per_customer'], '.3f')} | {cpu} | {r['kehu_rss_mb']:.0f} MB / "
              f"{(num(r['ref_rss_mb'], '.0f') + ' MB') if r['ref_rss_mb'] else '-'} | {r['load_kehu']}; {r['load_ref'] or '-'} |")
md.append('')
md.append('| customers | RFM scores equal | segments equal | ABC equal | BG/NBD params (rel.) | BG/NBD log-lik, Kehu / scipy '
          '| Gamma-Gamma params (rel.) | P(alive) (abs.) | CLV (rel.) | k-means inertia, Kehu / sklearn '
          '| logistic AUC, Kehu / sklearn | coefficients (abs.) |')
md.append('|---|---|---|---|---|---|---|---|---|---|---|---|')
for n, c in agree:
    md.append(f"| {n} | {c['rfm_scores_equal']:.2%} | {c['segments_equal']:.2%} | {c['abc_equal']:.2%} | "
              f"{c['bgnbd_params_max_rel_diff']:.1e} | {c['bgnbd_loglik']['kehu']:.2f} / {c['bgnbd_loglik']['scipy']:.2f} | "
              f"{c['gg_params_max_rel_diff']:.1e} | {c['p_alive_max_abs_diff']:.1e} | {c['clv_max_rel_diff']:.1e} | "
              f"{c['kmeans_inertia']['kehu']:.1f} / {c['kmeans_inertia']['sklearn']:.1f} | "
              f"{c['logreg_auc']['kehu']:.7f} / {c['logreg_auc']['sklearn']:.7f} | {c['logreg_beta_max_abs_diff']:.1e} |")
md.append('')
md.append('| customers | BG/NBD rows (distinct x, t, T) | BG/NBD iterations, Kehu / scipy (likelihood passes) '
          '| Gamma-Gamma iterations, Kehu / scipy (passes) | k-means Lloyd iterations of the best run, Kehu / sklearn '
          '| logistic regression iterations, Kehu / sklearn (rows) |')
md.append('|---|---|---|---|---|---|')
for w in work:
    def pair(a, b, c=None):
        return f"{num(w.get(a), 'd')} / {num(w.get(b), 'd') or '-'}" + (f" ({w[c]})" if c and w.get(c) is not None else '')
    md.append(f"| {w['customers']} | {num(w['bgnbd_rows'], 'd')} | {pair('bgnbd_it', 'bg_nit', 'bg_nfev')} | "
              f"{pair('gg_it', 'gg_nit', 'gg_nfev')} | {pair('km_it', 'km_sk')} | {pair('lr_it', 'lr_sk')} ({w['lr_rows']}) |")
if missing:
    md.append('')
    for n, f in missing:
        md.append(f"Reference missing at {n} customers: reference.py stopped with status {f['status']} ({f['why']})"
                  + (f" after {f['seconds']:.0f} s" if f['seconds'] is not None else '')
                  + (f", peak RSS {f['rss_mb']:.0f} MB" if f['rss_mb'] else '') + '.')
open(f'{res}.md', 'w').write('\n'.join(md) + '\n')
print('\n'.join(md))
print(f'wrote {res}.tsv and {res}.md', file=sys.stderr)
