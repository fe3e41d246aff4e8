#!/usr/bin/python3
"""Python side of bench_models: the same generators in Debian's python3-torch, timed the same way.

usage: reference_models.py CASES_JSON THREADS < commands
Reads one command per line and answers each with one line: "build I" builds case I (answers 0), "forward" times one
no-grad forward pass in eval mode, "train" one training step in train mode (answers milliseconds). bench_models
alternates these with its own runs.
The module definitions are the test fixtures' references of the upstream code (tests/fixtures/models/*.py).
"""
import ctypes
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


class Case:
    def __init__(self, case):
        torch.manual_seed(0)
        self.g, shape = build(case["arch"], case["python"])
        self.x = torch.randn(case["batch"], *shape)
        self.opt = torch.optim.Adam(self.g.parameters(), lr=1e-4)
        self.target = None

    def forward(self):
        with torch.no_grad():
            self.g(self.x)

    def train(self):
        y = self.g(self.x)
        if self.target is None:
            self.target = torch.zeros_like(y)
        loss = (y - self.target).abs().mean()
        self.opt.zero_grad()
        loss.backward()
        self.opt.step()


def set_threads(n):
    """torch.set_num_threads does not reach OpenBLAS, Debian's BLAS; bench_models sets both, so this does too."""
    torch.set_num_threads(n)
    try:
        ctypes.CDLL("libblas.so.3").openblas_set_num_threads(n)
    except (OSError, AttributeError):
        pass


def main():
    cases = json.loads(sys.argv[1])
    set_threads(int(sys.argv[2]))
    current = None
    for line in sys.stdin:
        command = line.split()
        if command[0] == "build":
            current = None  # free the previous case's model first
            current = Case(cases[int(command[1])])
            print(0, flush=True)
            continue
        fn = {"forward": current.forward, "train": current.train}[command[0]]
        current.g.train(command[0] == "train")  # outside the timing, as bench_models switches modes
        start = time.perf_counter()
        fn()
        print((time.perf_counter() - start) * 1000, flush=True)


if __name__ == "__main__":
    main()
