#!/usr/bin/python3
"""Independent reference computation for Kehu's PLS path modelling kernel.

This is a test tool, run by hand; the C test (tests/unit/test_pls.c) does not
need Python. It implements the textbook Lohmoeller/Wold algorithm directly on
the standardized data matrix (latent scores Y = X w, inner estimates Z = Y E,
Mode A weights w = cov(X, Z)), which is a different formulation from the C
kernel, which iterates on the correlation matrix of the manifest variables
only. Agreement of the two is therefore evidence that both are right.

It also checks itself against the published SmartPLS 2.0.M3 results for the
ECSI model on the mobi data (shipped with the R package semPLS as its
regression-test reference, tests/SmartPLS/results/ecsi/<scheme>/*.txt), and
prints C initialisers that are pasted into test_pls.c.

Usage: /usr/bin/python3 tests/unit/pls_reference.py [path/to/ecsi_mobi.csv]
(Debian's python3-numpy is installed for /usr/bin/python3.)
"""

import csv
import os
import sys

import numpy as np

ECSI_LV = ["Image", "Expectation", "Quality", "Value", "Satisfaction",
           "Complaints", "Loyalty"]
ECSI_MV = {
    "Image": ["IMAG1", "IMAG2", "IMAG3", "IMAG4", "IMAG5"],
    "Expectation": ["CUEX1", "CUEX2", "CUEX3"],
    "Quality": ["PERQ1", "PERQ2", "PERQ3", "PERQ4", "PERQ5", "PERQ6", "PERQ7"],
    "Value": ["PERV1", "PERV2"],
    "Satisfaction": ["CUSA1", "CUSA2", "CUSA3"],
    "Complaints": ["CUSCO"],
    "Loyalty": ["CUSL1", "CUSL2", "CUSL3"],
}
# The ECSI inner model as semPLS's ECSIsm and Tenenhaus et al. (2005) have it.
ECSI_PATHS = [
    ("Image", "Expectation"), ("Image", "Satisfaction"), ("Image", "Loyalty"),
    ("Expectation", "Quality"), ("Expectation", "Value"),
    ("Expectation", "Satisfaction"),
    ("Quality", "Value"), ("Quality", "Satisfaction"),
    ("Value", "Satisfaction"),
    ("Satisfaction", "Complaints"), ("Satisfaction", "Loyalty"),
    ("Complaints", "Loyalty"),
]
# ACSI (Fornell et al. 1996): ECSI without Image.
ACSI_LV = ECSI_LV[1:]
ACSI_MV = {k: v for k, v in ECSI_MV.items() if k != "Image"}
ACSI_PATHS = [p for p in ECSI_PATHS if "Image" not in p]

# Published SmartPLS 2.0.M3 results for ECSI on mobi (semPLS tests/SmartPLS).
SMARTPLS = {
    "path": {
        "paths": {
            ("Image", "Expectation"): 0.50491393, ("Image", "Satisfaction"): 0.17873950,
            ("Image", "Loyalty"): 0.19575534, ("Expectation", "Quality"): 0.55674896,
            ("Expectation", "Value"): 0.04998839, ("Expectation", "Satisfaction"): 0.06252287,
            ("Quality", "Value"): 0.55830438, ("Quality", "Satisfaction"): 0.51202394,
            ("Value", "Satisfaction"): 0.19476510, ("Satisfaction", "Complaints"): 0.52806625,
            ("Satisfaction", "Loyalty"): 0.48547762, ("Complaints", "Loyalty"): 0.06692607,
        },
        "weights": {
            "CUEX1": 0.52118068, "CUEX2": 0.47367966, "CUEX3": 0.44563424,
            "CUSA1": 0.36486486, "CUSA2": 0.38315604, "CUSA3": 0.45096120,
            "CUSCO": 1.0, "CUSL1": 0.46066473, "CUSL2": 0.11426953, "CUSL3": 0.65431059,
            "IMAG1": 0.30131215, "IMAG2": 0.25969115, "IMAG3": 0.21792305,
            "IMAG4": 0.32850357, "IMAG5": 0.32468141,
            "PERQ1": 0.21317504, "PERQ2": 0.14472169, "PERQ3": 0.20001771,
            "PERQ4": 0.17939947, "PERQ5": 0.17863569, "PERQ6": 0.17912074,
            "PERQ7": 0.21548153, "PERV1": 0.47928245, "PERV2": 0.60405602,
        },
        "loadings": {
            "CUEX1": 0.77076718, "CUEX2": 0.69124548, "CUEX3": 0.60781262,
            "CUSA1": 0.79241243, "CUSA2": 0.84702146, "CUSA3": 0.85669268,
            "CUSCO": 1.0, "CUSL1": 0.82041320, "CUSL2": 0.20202172, "CUSL3": 0.91543628,
            "IMAG1": 0.74520807, "IMAG2": 0.59920038, "IMAG3": 0.57635896,
            "IMAG4": 0.76876167, "IMAG5": 0.74445242,
            "PERQ1": 0.80317813, "PERQ2": 0.63814644, "PERQ3": 0.78374692,
            "PERQ4": 0.76947974, "PERQ5": 0.75472136, "PERQ6": 0.77464331,
            "PERQ7": 0.77986483, "PERV1": 0.90221120, "PERV2": 0.93962478,
        },
    },
    "centroid": {
        "paths": {
            ("Image", "Expectation"): 0.50470564, ("Image", "Satisfaction"): 0.17883348,
            ("Image", "Loyalty"): 0.19535971, ("Expectation", "Quality"): 0.55724786,
            ("Expectation", "Value"): 0.05078755, ("Expectation", "Satisfaction"): 0.06442534,
            ("Quality", "Value"): 0.55721686, ("Quality", "Satisfaction"): 0.51254524,
            ("Value", "Satisfaction"): 0.19181566, ("Satisfaction", "Complaints"): 0.52609731,
            ("Satisfaction", "Loyalty"): 0.48347472, ("Complaints", "Loyalty"): 0.07123241,
        },
        "weights": {
            "CUEX1": 0.52282271, "CUEX2": 0.46806824, "CUEX3": 0.44989729,
            "CUSA1": 0.37718684, "CUSA2": 0.38156707, "CUSA3": 0.44105872,
            "CUSCO": 1.0, "CUSL1": 0.45046794, "CUSL2": 0.13133992, "CUSL3": 0.65948149,
            "IMAG1": 0.29813185, "IMAG2": 0.26233656, "IMAG3": 0.21987218,
            "IMAG4": 0.32782296, "IMAG5": 0.32492101,
            "PERQ1": 0.21364542, "PERQ2": 0.14346701, "PERQ3": 0.19943921,
            "PERQ4": 0.17811594, "PERQ5": 0.18083905, "PERQ6": 0.18050324,
            "PERQ7": 0.21436270, "PERV1": 0.48582034, "PERV2": 0.59776530,
        },
        "loadings": {
            "CUEX1": 0.77149227, "CUEX2": 0.68662595, "CUEX3": 0.61182525,
            "CUSA1": 0.79902589, "CUSA2": 0.84621071, "CUSA3": 0.85188614,
            "CUSCO": 1.0, "CUSL1": 0.81381092, "CUSL2": 0.21914243, "CUSL3": 0.91681439,
            "IMAG1": 0.74336994, "IMAG2": 0.60072962, "IMAG3": 0.57761738,
            "IMAG4": 0.76836239, "IMAG5": 0.74447502,
            "PERQ1": 0.80334000, "PERQ2": 0.63739120, "PERQ3": 0.78353507,
            "PERQ4": 0.76911595, "PERQ5": 0.75577372, "PERQ6": 0.77515801,
            "PERQ7": 0.77939921, "PERV1": 0.90434465, "PERV2": 0.93791155,
        },
    },
    "factorial": {
        "paths": {
            ("Image", "Expectation"): 0.50494314, ("Image", "Satisfaction"): 0.17859267,
            ("Image", "Loyalty"): 0.19581962, ("Expectation", "Quality"): 0.55675903,
            ("Expectation", "Value"): 0.05017810, ("Expectation", "Satisfaction"): 0.06494365,
            ("Quality", "Value"): 0.55776245, ("Quality", "Satisfaction"): 0.51297470,
            ("Value", "Satisfaction"): 0.19144526, ("Satisfaction", "Complaints"): 0.52585655,
            ("Satisfaction", "Loyalty"): 0.48305917, ("Complaints", "Loyalty"): 0.07031057,
        },
        "weights": {
            "CUEX1": 0.52090762, "CUEX2": 0.47378907, "CUEX3": 0.44585601,
            "CUSA1": 0.37788083, "CUSA2": 0.38247081, "CUSA3": 0.43950908,
            "CUSCO": 1.0, "CUSL1": 0.45553653, "CUSL2": 0.12559574, "CUSL3": 0.65632685,
            "IMAG1": 0.30113984, "IMAG2": 0.25986939, "IMAG3": 0.21780805,
            "IMAG4": 0.32862476, "IMAG5": 0.32467429,
            "PERQ1": 0.21333116, "PERQ2": 0.14477854, "PERQ3": 0.19981851,
            "PERQ4": 0.17953152, "PERQ5": 0.17862778, "PERQ6": 0.17921848,
            "PERQ7": 0.21525464, "PERV1": 0.48331535, "PERV2": 0.60017870,
        },
        "loadings": {
            "CUEX1": 0.77057716, "CUEX2": 0.69128969, "CUEX3": 0.60798775,
            "CUSA1": 0.79944794, "CUSA2": 0.84657072, "CUSA3": 0.85121187,
            "CUSCO": 1.0, "CUSL1": 0.81690365, "CUSL2": 0.21331400, "CUSL3": 0.91582298,
            "IMAG1": 0.74512585, "IMAG2": 0.59933046, "IMAG3": 0.57626974,
            "IMAG4": 0.76880860, "IMAG5": 0.74443700,
            "PERQ1": 0.80325407, "PERQ2": 0.63823177, "PERQ3": 0.78361561,
            "PERQ4": 0.76957122, "PERQ5": 0.75470671, "PERQ6": 0.77472353,
            "PERQ7": 0.77972334, "PERV1": 0.90352940, "PERV2": 0.93857108,
        },
    },
}


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    data = np.array([[float(v) for v in r] for r in rows[1:]])
    return header, data


def pls(raw, lvs, mvs, paths, scheme, tol=1e-12, max_iter=1000):
    """The textbook algorithm on the data matrix. raw: n x p in block order."""
    n = raw.shape[0]
    m = len(lvs)
    blocks = []
    start = 0
    for lv in lvs:
        blocks.append(list(range(start, start + len(mvs[lv]))))
        start += len(mvs[lv])
    mean = raw.mean(axis=0)
    sd = raw.std(axis=0, ddof=1)
    x = (raw - mean) / sd
    idx = {lv: i for i, lv in enumerate(lvs)}
    d = np.zeros((m, m))  # d[i, j] = 1 when path i -> j
    for a, b in paths:
        d[idx[a], idx[b]] = 1
    adj = (d + d.T) > 0

    def scores(w):
        y = np.zeros((n, m))
        for i, b in enumerate(blocks):
            yi = x[:, b] @ w[i]
            y[:, i] = yi / yi.std(ddof=1)
        return y

    def normalize(w):
        out = []
        for i, b in enumerate(blocks):
            yi = x[:, b] @ w[i]
            out.append(w[i] / yi.std(ddof=1))
        return out

    w = normalize([np.ones(len(b)) for b in blocks])
    for it in range(1, max_iter + 1):
        y = scores(w)
        c = np.corrcoef(y, rowvar=False)
        e = np.zeros((m, m))
        for i in range(m):
            if scheme == "centroid":
                e[i, adj[i]] = np.sign(c[i, adj[i]])
            elif scheme == "factorial":
                e[i, adj[i]] = c[i, adj[i]]
            elif scheme == "path":
                pred = np.where(d[:, i] > 0)[0]
                succ = np.where(d[i, :] > 0)[0]
                if len(pred):
                    beta, *_ = np.linalg.lstsq(y[:, pred], y[:, i], rcond=None)
                    e[i, pred] = beta
                e[i, succ] = c[i, succ]
            else:
                raise ValueError(scheme)
        z = y @ e.T
        new = []
        for i, b in enumerate(blocks):
            # Mode A: each weight is the covariance of its indicator with Z.
            new.append(x[:, b].T @ z[:, i] / (n - 1))
        new = normalize(new)
        delta = max(np.max(np.abs(a - b)) for a, b in zip(new, w))
        w = new
        if delta < tol:
            break
    y = scores(w)
    loadings = []
    for i, b in enumerate(blocks):
        for k in b:
            loadings.append(np.corrcoef(x[:, k], y[:, i])[0, 1])
    coef = {}
    r2 = np.zeros(m)
    for j in range(m):
        pred = np.where(d[:, j] > 0)[0]
        if len(pred) == 0:
            continue
        beta, *_ = np.linalg.lstsq(y[:, pred], y[:, j], rcond=None)
        resid = y[:, j] - y[:, pred] @ beta
        r2[j] = 1 - resid.var() / y[:, j].var()
        for p, bta in zip(pred, beta):
            coef[(lvs[p], lvs[j])] = bta
    ave, rho, alpha, index = [], [], [], []
    for i, b in enumerate(blocks):
        lam = np.array([loadings[k] for k in b])
        ave.append(np.mean(lam ** 2))
        rho.append(lam.sum() ** 2 / (lam.sum() ** 2 + np.sum(1 - lam ** 2)))
        q = len(b)
        if q == 1:
            alpha.append(1.0)
        else:
            r = np.corrcoef(x[:, b], rowvar=False)
            alpha.append(q / (q - 1) * (1 - q / r.sum()))
        # ACSI index: weights on the original scale, rescaled to sum one, so
        # the latent score stays on the 1..10 scale; its mean is mapped to 0..100.
        u = w[i] / sd[b]
        u = u / u.sum()
        index.append(100 * (u @ mean[b] - 1) / (10 - 1))
    wflat = np.concatenate(w)
    return {
        "iterations": it, "weights": wflat, "loadings": np.array(loadings),
        "paths": coef, "r2": r2, "ave": np.array(ave), "rho": np.array(rho),
        "alpha": np.array(alpha), "index": np.array(index), "scores": y,
    }


# The generator the C kernel uses for bootstrap resampling: xoshiro256**
# seeded by splitmix64 (Blackman and Vigna), and an unbiased bounded draw by
# rejection. Reimplemented here so that the bootstrap can be checked draw for
# draw.
M64 = (1 << 64) - 1


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & M64


class Xoshiro:
    def __init__(self, seed):
        s = seed & M64
        self.s = []
        for _ in range(4):
            s = (s + 0x9E3779B97F4A7C15) & M64
            z = s
            z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
            z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
            self.s.append(z ^ (z >> 31))

    def next(self):
        s = self.s
        result = (rotl((s[1] * 5) & M64, 7) * 9) & M64
        t = (s[1] << 17) & M64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def below(self, n):
        # Reject the lowest (2^64 mod n) values so that r mod n is uniform.
        threshold = ((1 << 64) - n) % n
        while True:
            r = self.next()
            if r >= threshold:
                return r % n


def bootstrap(raw, lvs, mvs, paths, scheme, nboot, seed):
    n = raw.shape[0]
    rng = Xoshiro(seed)
    reps = {"paths": [], "loadings": [], "weights": []}
    for _ in range(nboot):
        rows = [rng.below(n) for _ in range(n)]
        f = pls(raw[rows], lvs, mvs, paths, scheme)
        reps["paths"].append([f["paths"][(a, b)] for a, b in paths])
        reps["loadings"].append(f["loadings"])
        reps["weights"].append(f["weights"])
    return {k: np.std(np.array(v), axis=0, ddof=1) for k, v in reps.items()}


def c_array(name, values, decimals=10):
    body = ", ".join("%.*f" % (decimals, v) for v in values)
    return "static const double %s[] = {%s};" % (name, body)


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default = os.path.join(here, "..", "..", "..", "shared", "data", "ecsi_mobi.csv")
    path = sys.argv[1] if len(sys.argv) > 1 else default
    header, data = read_csv(path)
    col = {h: i for i, h in enumerate(header)}

    worst = 0.0
    for model, lvs, mvs, paths in (("ecsi", ECSI_LV, ECSI_MV, ECSI_PATHS),
                                   ("acsi", ACSI_LV, ACSI_MV, ACSI_PATHS)):
        order = [mv for lv in lvs for mv in mvs[lv]]
        raw = data[:, [col[mv] for mv in order]]
        for scheme in ("centroid", "factorial", "path"):
            f = pls(raw, lvs, mvs, paths, scheme)
            tag = "%s_%s" % (model, scheme)
            print("/* %s: %s scheme, converged in %d iterations */"
                  % (model.upper(), scheme, f["iterations"]))
            print(c_array(tag + "_path", [f["paths"][p] for p in paths]))
            print(c_array(tag + "_weight", f["weights"]))
            print(c_array(tag + "_loading", f["loadings"]))
            print(c_array(tag + "_r2", f["r2"]))
            print(c_array(tag + "_ave", f["ave"]))
            print(c_array(tag + "_rho", f["rho"]))
            print(c_array(tag + "_alpha", f["alpha"]))
            print(c_array(tag + "_index", f["index"]))
            print(c_array(tag + "_score0", f["scores"][0]))
            if model == "ecsi":
                pub = SMARTPLS[scheme]
                print("/* ECSI: %s scheme, published by SmartPLS 2.0.M3 (8 decimals) */" % scheme)
                print(c_array("smartpls_%s_path" % scheme, [pub["paths"][p] for p in paths], 8))
                print(c_array("smartpls_%s_weight" % scheme, [pub["weights"][mv] for mv in order], 8))
                print(c_array("smartpls_%s_loading" % scheme, [pub["loadings"][mv] for mv in order], 8))
                for p in paths:
                    worst = max(worst, abs(pub["paths"][p] - f["paths"][p]))
                for k, mv in enumerate(order):
                    worst = max(worst, abs(pub["weights"][mv] - f["weights"][k]))
                    worst = max(worst, abs(pub["loadings"][mv] - f["loadings"][k]))
    print("/* largest difference from the published SmartPLS values: %.2e */" % worst)

    order = [mv for lv in ECSI_LV for mv in ECSI_MV[lv]]
    raw = data[:, [col[mv] for mv in order]]
    se = bootstrap(raw, ECSI_LV, ECSI_MV, ECSI_PATHS, "path", 100, 20240611)
    print("/* ECSI, path scheme: bootstrap standard errors, 100 resamples, seed 20240611 */")
    print(c_array("ecsi_boot_path_se", se["paths"]))
    print(c_array("ecsi_boot_loading_se", se["loadings"]))
    print(c_array("ecsi_boot_weight_se", se["weights"]))
    if worst > 1e-6:
        sys.exit("reference differs from the published SmartPLS results")


if __name__ == "__main__":
    main()
