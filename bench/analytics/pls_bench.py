#!/usr/bin/python3
"""PLS with bootstrap: `kehu analyze pls --bootstrap N` against the numpy
implementation of the same algorithm (tests/unit/pls_reference.py), on
respondents simulated from the ECSI model, in the same run.

    /usr/bin/python3 bench/analytics/pls_bench.py KEHU_BIN [--respondents 10000] [--bootstrap 1000]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', '..', 'tests', 'unit'))
import pls_reference as ref  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument('kehu')
ap.add_argument('--respondents', type=int, default=10000)
ap.add_argument('--bootstrap', type=int, default=1000)
a = ap.parse_args()

# Latent variables from the ECSI paths (standardised, coefficients near the
# published ones), each item a noisy reflection answered on 1-10.
rng = np.random.default_rng(7)
n = a.respondents
coef = {p: c for p, c in zip(ref.ECSI_PATHS, [0.5, 0.2, 0.2, 0.55, 0.05, 0.07, 0.56, 0.5, 0.2, 0.53, 0.48, 0.07])}
lv = {}
for name in ref.ECSI_LV:
    parents = [(p, c) for (p, t), c in coef.items() if t == name]
    mean = sum(c * lv[p] for p, c in parents)
    var = max(1 - sum(c * c for _, c in parents), 0.2)
    lv[name] = mean + rng.normal(0, np.sqrt(var), n)
cols, names = [], []
for name in ref.ECSI_LV:
    for item in ref.ECSI_MV[name]:
        v = 0.8 * lv[name] + rng.normal(0, 0.6, n)
        cols.append(np.clip(np.round(6.5 + 1.6 * v), 1, 10))
        names.append(item)
X = np.column_stack(cols)
d = tempfile.mkdtemp(prefix='kehu-pls-')
path = os.path.join(d, 'answers.csv')
np.savetxt(path, X, fmt='%d', delimiter=',', header=','.join(names), comments='')

t0 = time.perf_counter()
out = subprocess.run([a.kehu, 'analyze', 'pls', '--model', 'ecsi', '--csv', path, '--bootstrap', str(a.bootstrap),
                      '--json'], capture_output=True, check=True, text=True).stdout
t_kehu = time.perf_counter() - t0
k = json.loads(out)

order = [i for name in ref.ECSI_LV for i, it in enumerate(names) if it in ref.ECSI_MV[name]]
raw = X[:, order]
t1 = time.perf_counter()
full = ref.pls(raw, ref.ECSI_LV, ref.ECSI_MV, ref.ECSI_PATHS, 'path', tol=1e-7)
reps = []
for _ in range(a.bootstrap):
    rows = rng.integers(0, n, n)
    f = ref.pls(raw[rows], ref.ECSI_LV, ref.ECSI_MV, ref.ECSI_PATHS, 'path', tol=1e-7)
    reps.append([f['paths'][p] for p in ref.ECSI_PATHS])
se = np.std(np.array(reps), axis=0, ddof=1)
t_numpy = time.perf_counter() - t1

kp = np.array([p['coef'] for p in k['paths']])
ks = np.array([p['se'] for p in k['paths']])
rp = np.array([full['paths'][p] for p in ref.ECSI_PATHS])
print(json.dumps({
    'respondents': n, 'bootstrap': a.bootstrap,
    'seconds': {'kehu_analyze_pls': t_kehu, 'numpy_reference': t_numpy},
    'paths_max_abs_diff': float(np.max(np.abs(kp - rp))),
    'se_max_rel_diff': float(np.max(np.abs(ks - se) / se)),
    'satisfaction_index': k['satisfaction_index'],
}, indent=1))
os.remove(path)
os.rmdir(d)
