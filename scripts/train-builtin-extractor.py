#!/usr/bin/python3
"""Trains the built-in feature extractor the metrics use when no standard Inception file is given.

A small CNN classifier on Fashion-MNIST (Debian's dataset-fashion-mnist); its 128-d penultimate activations are the
features. Exported as TorchScript taking uint8 images [N, C, H, W] (C = 1 or 3, any size), like the standard
Inception file, so the same code path feeds both. Numbers computed with it are labelled "FD-builtin", "P/R-builtin":
they compare runs with each other, never with published FID.

Run with Debian's python3-torch:  /usr/bin/python3 scripts/train-builtin-extractor.py [OUT.pt]
"""
import gzip
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = "/usr/share/datasets/fashion-mnist"


def idx(path):
    with gzip.open(path, "rb") as f:
        magic = struct.unpack(">I", f.read(4))[0]
        dims = [struct.unpack(">I", f.read(4))[0] for _ in range(magic & 0xFF)]
        return torch.frombuffer(bytearray(f.read()), dtype=torch.uint8).reshape(dims)


class Features(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, padding=1)
        self.conv2 = nn.Conv2d(32, 64, 3, stride=2, padding=1)
        self.conv3 = nn.Conv2d(64, 128, 3, stride=2, padding=1)
        self.conv4 = nn.Conv2d(128, 128, 3, padding=1)

    def forward(self, x):
        # uint8 [N, C, H, W] -> grey 28x28 in [-1, 1], as the classifier was trained
        x = x.float() / 127.5 - 1
        if x.shape[1] != 1:
            x = x.mean(dim=1, keepdim=True)
        if x.shape[2] != 28 or x.shape[3] != 28:
            x = F.interpolate(x, size=[28, 28], mode="bilinear", align_corners=False, antialias=True)
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = F.relu(self.conv3(x))
        x = F.relu(self.conv4(x))
        return x.mean(dim=[2, 3])


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "resources/extractors/builtin-fashion-mnist.pt"
    torch.manual_seed(0)
    torch.set_num_threads(2)
    x_train, y_train = idx(f"{DATA}/train-images-idx3-ubyte.gz"), idx(f"{DATA}/train-labels-idx1-ubyte.gz").long()
    x_test, y_test = idx(f"{DATA}/t10k-images-idx3-ubyte.gz"), idx(f"{DATA}/t10k-labels-idx1-ubyte.gz").long()
    features = Features()
    head = nn.Linear(128, 10)
    opt = torch.optim.Adam(list(features.parameters()) + list(head.parameters()), lr=2e-3)
    for epoch in range(4):
        order = torch.randperm(len(x_train))
        for i in range(0, len(order), 128):
            b = order[i:i + 128]
            # flips and 32-px resizes of the inputs keep the features stable for generated 32x32 images
            x = x_train[b].unsqueeze(1)
            if torch.rand(()) < 0.5:
                x = x.flip(3)
            loss = F.cross_entropy(head(features(x)), y_train[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
        with torch.no_grad():
            acc = (head(features(x_test.unsqueeze(1))).argmax(1) == y_test).float().mean().item()
        print(f"epoch {epoch + 1}: test accuracy {acc:.4f}", flush=True)
    features.eval()
    scripted = torch.jit.script(features)
    scripted.save(out)
    probe = scripted(torch.zeros(2, 3, 64, 64, dtype=torch.uint8))
    print(f"saved {out}: uint8 [N, C, H, W] -> {list(probe.shape[1:])}-d features, test accuracy {acc:.4f}")


if __name__ == "__main__":
    main()
