#!/usr/bin/python3
"""NumPy/SciPy reference implementations timed beside ours by bench_metrics (not used by the tests).

usage: reference_metrics.py {fid,kid,prdc} real.npy fake.npy  -> prints the value(s) and seconds as JSON
FID: the pytorch-fid formula (scipy.linalg.sqrtm of S1·S2). KID: StyleGAN2-ADA's loop, 100 subsets of 1000.
PRDC: k-NN radii and ball tests in row blocks of float64 distances (k=3), as a chunked version of `prdc`.
"""
import json
import sys
import time

import numpy as np
from scipy import linalg


def fid(a, b):
    mu1, s1 = a.mean(0), np.cov(a, rowvar=False)
    mu2, s2 = b.mean(0), np.cov(b, rowvar=False)
    covmean, _ = linalg.sqrtm(s1.dot(s2), disp=False)
    diff = mu1 - mu2
    return {"fd": float(diff.dot(diff) + np.trace(s1) + np.trace(s2) - 2 * np.trace(covmean.real))}


def kid(real, fake, subsets=100, max_subset=1000):
    n = real.shape[1]
    m = min(len(real), len(fake), max_subset)
    rng = np.random.default_rng(0)
    t = 0
    for _ in range(subsets):
        x = fake[rng.choice(len(fake), m, replace=False)]
        y = real[rng.choice(len(real), m, replace=False)]
        a = (x @ x.T / n + 1) ** 3 + (y @ y.T / n + 1) ** 3
        b = (x @ y.T / n + 1) ** 3
        t += (a.sum() - np.diag(a).sum()) / (m - 1) - b.sum() * 2 / m
    return {"kid": float(t / subsets / m)}


def blocks(a, b, rows=2048):
    b_sq = (b ** 2).sum(1)
    for start in range(0, len(a), rows):
        blk = a[start:start + rows]
        d2 = (blk ** 2).sum(1)[:, None] + b_sq[None, :] - 2 * blk @ b.T
        yield start, np.sqrt(np.maximum(d2, 0))


def radii(x, k):
    out = np.empty(len(x))
    for start, d in blocks(x, x):
        out[start:start + len(d)] = np.partition(d, k, axis=1)[:, k]
    return out


def prdc(real, fake, k=3):
    rr, fr = radii(real, k), radii(fake, k)
    precise = inside = 0
    for _, d in blocks(fake, real):
        within = d < rr[None, :]
        precise += within.any(1).sum()
        inside += within.sum()
    recalled = covered = 0
    for start, d in blocks(real, fake):
        recalled += (d < fr[None, :]).any(1).sum()
        covered += (d.min(1) < rr[start:start + len(d)]).sum()
    return {"precision": precise / len(fake), "recall": recalled / len(real),
            "density": inside / (k * len(fake)), "coverage": covered / len(real)}


def main():
    metric, a_path, b_path = sys.argv[1:4]
    a, b = np.load(a_path), np.load(b_path)  # float32, in memory, like ours when its timer starts
    t0 = time.perf_counter()
    out = {"fid": fid, "kid": kid, "prdc": prdc}[metric](a.astype(np.float64), b.astype(np.float64))
    out = {k: float(v) for k, v in out.items()}
    out["seconds"] = time.perf_counter() - t0
    print(json.dumps(out))


if __name__ == "__main__":
    main()
