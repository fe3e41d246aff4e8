#!/usr/bin/python3
"""Python side of bench_extractors: the same TorchScript extractor file in Debian's python3-torch, timed the same way.

usage: reference_extractors.py THREADS < commands
One command per line, one reply line each (milliseconds, or 0):
  load PATH             loads the extractor (answers 0)
  run N BATCH SIZE      extracts features of the N test images in batches of BATCH (answers milliseconds)
  dump N SIZE OUT.npy   writes the features of the first N test images to OUT.npy (answers 0)
The test images are the same on both sides without exchanging them: byte i of the uint8 [N,3,SIZE,SIZE] tensor is
(i * 2654435761 // 8192) % 256. The module is called as the app calls it: uint8 NCHW, return_features=True when its
forward takes that argument. glibc's malloc is tuned as the app tunes it (core/runtime.cpp), on both sides.
"""
import ctypes
import sys
import time

import numpy as np
import torch


def images(n, size):
    i = torch.arange(n * 3 * size * size, dtype=torch.int64)
    return ((i * 2654435761) // 8192 % 256).to(torch.uint8).reshape(n, 3, size, size)


class Extractor:
    def __init__(self, path):
        self.module = torch.jit.load(path).eval()
        names = [a.name for a in self.module.forward.schema.arguments]
        self.kwargs = {"return_features": True} if "return_features" in names else {}

    def __call__(self, x):
        with torch.no_grad():
            return self.module(x, **self.kwargs).reshape(x.shape[0], -1).float()


def keep_freed_memory():
    """What gs::keep_freed_memory() does in the app and in bench_extractors: freed memory stays in the heap."""
    libc = ctypes.CDLL("libc.so.6")
    libc.mallopt(-3, 1 << 30)  # M_MMAP_THRESHOLD
    libc.mallopt(-1, 2**31 - 1)  # M_TRIM_THRESHOLD


def main():
    keep_freed_memory()
    threads = int(sys.argv[1])
    torch.set_num_threads(threads)
    try:  # torch.set_num_threads does not reach OpenBLAS, Debian's BLAS; bench_extractors sets both
        ctypes.CDLL("libblas.so.3").openblas_set_num_threads(threads)
    except (OSError, AttributeError):
        pass
    extractor, cache = None, {}
    for line in sys.stdin:
        command = line.split()
        reply = 0.0
        if command[0] == "load":
            extractor = Extractor(command[1])
        elif command[0] == "run":
            n, batch, size = map(int, command[1:4])
            x = cache.setdefault((n, size), images(n, size))
            start = time.perf_counter()
            for i in range(0, n, batch):
                extractor(x[i:i + batch])
            reply = (time.perf_counter() - start) * 1000
        elif command[0] == "dump":
            n, size = int(command[1]), int(command[2])
            np.save(command[3], extractor(images(n, size)).numpy())
        print(reply, flush=True)


if __name__ == "__main__":
    main()
