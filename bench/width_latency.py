#!/usr/bin/python3
"""How speed per MAC cut depends on the widths a method keeps, measured in Debian's python3-torch.

The DCGAN demo's generator (z 100 -> 128 @4x4 -> 64 @8x8 -> 32 @16x16 -> 1 @32x32) built at the widths each method
chose in the issue-6 evidence runs (scores.json of bench/compress_evidence.sh), timed layer by layer, one thread,
batch 16, every configuration in turn per round so the machine's load weighs on all alike. glibc's malloc is tuned
as the app tunes it (core/runtime.cpp: freed memory stays in the heap); --glibc-defaults leaves it alone, and then
every layer output above malloc's dynamic mmap threshold is faulted in afresh on each call, which made wide layers
look slow per MAC in an earlier reading (docs/compression.md). MACs in the published convention (transposed
convolutions by output size), as the evidence table counts them. Last, a least-squares fit of every layer's time to
its MACs and to the number of values it writes, against MACs alone.

usage: bench/width_latency.py [ROUNDS] [--glibc-defaults]
"""
import ctypes
import statistics
import sys
import time

import numpy as np
import torch
from torch import nn

NZ = 100
# widths of main.0, main.3, main.6: the teacher, then per method and sparsity as in docs/compression.md
CONFIGS = [
    ("teacher", (128, 64, 32)),
    ("uniform 50%", (64, 32, 16)),
    ("density 50%", (60, 22, 30)),
    ("coronet 50%", (48, 26, 29)),
    ("uniform 70%", (38, 19, 10)),
    ("density 70%", (36, 14, 18)),
    ("coronet 70%", (12, 17, 26)),
    ("density 50%, output budget", (76, 28, 15)),
    ("density 70%, output budget", (43, 15, 11)),
    ("coronet 50%, output budget", (12, 13, 24)),
]


def layers(widths):
    a, b, c = widths

    def block(i, o, stride, pad):
        return nn.Sequential(nn.ConvTranspose2d(i, o, 4, stride, pad, bias=False), nn.BatchNorm2d(o), nn.ReLU())

    return [block(NZ, a, 1, 0), block(a, b, 2, 1), block(b, c, 2, 1),
            nn.Sequential(nn.ConvTranspose2d(c, 1, 4, 2, 1, bias=False), nn.Tanh())]


def macs(widths):
    a, b, c = widths
    return [16 * NZ * a * 16, 64 * a * b * 16, 256 * b * c * 16, 1024 * c * 16]


def outputs(widths):
    a, b, c = widths
    return [16 * a * 16, 64 * b * 16, 256 * c * 16, 1024 * 16]


def fit(ms):
    """Per-layer ms ~ x * MMACs + y * M outputs + z, and ~ x * MMACs + z; returns both coefficient sets and R^2."""
    rows, times = [], []
    for name, w in CONFIGS:
        for m, o, t in zip(macs(w), outputs(w), ms[name]):
            rows.append([m / 1e6, o / 1e6, 1.0])
            times.append(t)
    a, y = np.array(rows), np.array(times)
    out = []
    for cols in ([0, 1, 2], [0, 2]):
        coef = np.linalg.lstsq(a[:, cols], y, rcond=None)[0]
        out.append((coef, np.corrcoef(a[:, cols] @ coef, y)[0, 1] ** 2))
    return out


def keep_freed_memory():
    """What gs::keep_freed_memory() does in the app."""
    libc = ctypes.CDLL("libc.so.6")
    m_trim_threshold, m_mmap_threshold = -1, -3
    libc.mallopt(m_mmap_threshold, 1 << 30)
    libc.mallopt(m_trim_threshold, 2**31 - 1)


def main():
    defaults = "--glibc-defaults" in sys.argv[1:]
    args = [a for a in sys.argv[1:] if a != "--glibc-defaults"]
    if not defaults:
        keep_freed_memory()
    rounds = int(args[0]) if args else 30
    torch.set_num_threads(1)
    ctypes.CDLL("libblas.so.3").openblas_set_num_threads(1)  # torch's setting does not reach OpenBLAS
    torch.manual_seed(0)
    nets = {name: [m.eval() for m in layers(w)] for name, w in CONFIGS}
    times = {name: [[] for _ in range(4)] for name, _ in CONFIGS}
    with torch.no_grad():
        for r in range(rounds + 1):
            for name, _ in CONFIGS:
                x = torch.randn(16, NZ, 1, 1)
                for i, layer in enumerate(nets[name]):
                    start = time.perf_counter()
                    x = layer(x)
                    if r:  # round 0 warms up
                        times[name][i].append(time.perf_counter() - start)
    ms = {name: [statistics.median(t) * 1e3 for t in times[name]] for name, _ in CONFIGS}
    base_t, base_m = sum(ms["teacher"]), sum(macs(CONFIGS[0][1]))
    malloc = "glibc defaults" if defaults else "malloc tuned as in the app"
    print(f"one thread, batch 16, median of {rounds} rounds, {malloc}; per-layer ms for main.0 / main.3 / main.6 / "
          "main.9")
    print()
    print("| widths | config | MACs | MAC cut | ms per layer | ms | speed-up | speed-up / MAC cut "
          "| ns per MAC, last layer |")
    print("|---|---|---:|---:|---|---:|---:|---:|---:|")
    for name, w in CONFIGS:
        m, t = macs(w), ms[name]
        cut, speed = base_m / sum(m), base_t / sum(t)
        print(f"| {'/'.join(map(str, w))} | {name} | {sum(m) / 1e6:.2f}M | {cut:.2f}x | "
              f"{' / '.join(f'{v:.2f}' for v in t)} | {sum(t):.2f} | {speed:.2f}x | {speed / cut:.2f} | "
              f"{t[3] * 1e6 / m[3]:.2f} |")
    (both, r2_both), (alone, r2_alone) = fit(ms)
    print()
    print(f"per layer: {both[0]:.3f} ms per M MACs + {both[1]:.2f} ms per M output values (R^2 {r2_both:.2f}); "
          f"MACs alone: {alone[0]:.3f} ms per M MACs (R^2 {r2_alone:.2f})")


if __name__ == "__main__":
    main()
