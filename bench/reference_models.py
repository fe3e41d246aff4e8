#!/usr/bin/python3
"""Python side of bench_models: the same generators in Debian's python3-torch, timed the same way.

usage: reference_models.py CASES_JSON THREADS REPEATS   (prints one JSON list: per case forward_ms, train_ms)
The module definitions are the test fixtures' references of the upstream code (tests/fixtures/models/*.py).
"""
import json
import os
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "models"))
import make_dcgan_fixtures as dcgan  # noqa: E402
import make_img2img_fixtures as img2img  # noqa: E402
import make_ssd_fixtures as ssd  # noqa: E402
import make_stylegan2_fixtures as stylegan2  # noqa: E402


def build(arch, o):
    """The generator and a batch-1 input shape for the options bench_models uses."""
    if arch == "dcgan":
        levels = {64: 4, 32: 3}[o["size"]]
        hidden = [o["ngf"] * 2 ** (levels - 1 - i) for i in range(levels)]
        return dcgan.Generator(o["nz"], hidden, o["nc"]), (o["nz"], 1, 1)
    if arch == "ssd":
        levels = {64: 4, 32: 3}[o["size"]]
        return ssd.Generator(o["z_dim"], [o["ngf"] * 2 ** (levels - 1 - i) for i in range(levels)], o["nc"]), \
            (o["z_dim"],)
    if arch == "stylegan2":
        channels = {int(k): v for k, v in o["channels"].items()}
        return stylegan2.Generator(o["size"], o["style_dim"], o["n_mlp"], channels), (o["style_dim"],)
    if arch == "pix2pix":
        return img2img.UnetGenerator(3, 3, o["num_downs"], o["ngf"], img2img.get_norm_layer(o["norm"])), \
            (3, o["load_size"], o["load_size"])
    if arch == "cyclegan":
        return img2img.ResnetGenerator(3, 3, o["ngf"], img2img.get_norm_layer(o["norm"]), n_blocks=o["n_blocks"]), \
            (3, o["load_size"], o["load_size"])
    raise ValueError(arch)


def median_ms(fn, repeats):
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return times[len(times) // 2]


def main():
    cases = json.loads(sys.argv[1])
    torch.set_num_threads(int(sys.argv[2]))
    repeats = int(sys.argv[3])
    out = []
    for case in cases:
        torch.manual_seed(0)
        g, shape = build(case["arch"], case["python"])
        x = torch.randn(case["batch"], *shape)
        g.eval()

        def forward():
            with torch.no_grad():
                g(x)

        opt = torch.optim.Adam(g.parameters(), lr=1e-4)
        target = None

        def train():
            nonlocal target
            y = g(x)
            if target is None:
                target = torch.zeros_like(y)
            loss = (y - target).abs().mean()
            opt.zero_grad()
            loss.backward()
            opt.step()

        fwd = median_ms(forward, repeats)
        g.train()
        out.append({"forward_ms": fwd, "train_ms": median_ms(train, repeats)})
    print(json.dumps(out))


if __name__ == "__main__":
    main()
