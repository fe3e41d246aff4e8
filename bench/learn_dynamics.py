#!/usr/bin/env python3
"""Prints how learned-mask runs behaved while they pruned: the discriminator's and the generator's local adversarial
losses (mean and spread over the second half of the pruning phase, where the budget is close), the kernel term, and
the MACs reached against the targets.

Usage: bench/learn_dynamics.py RUN_DIR...   (reads config.json and events.jsonl of each)
"""
import json
import statistics
import sys

from compress_table import events, method_label


def spread(values):
    return f"{statistics.mean(values):.3f} ± {statistics.pstdev(values):.3f}" if values else "–"


def main(runs):
    print("| run | pruning steps | G MACs / target | D MACs / target | D loss | G adversarial | kernel |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for run in runs:
        run = run.rstrip("/")
        with open(f"{run}/config.json") as f:
            config = json.load(f)
        ev = events(run)
        curve = [e for e in ev if e["kind"] == "learn"]
        learned = next(e for e in ev if e["kind"] == "learned")
        late = curve[len(curve) // 2:]
        d_macs = (f"{learned['discriminator_macs']:,} / {learned['discriminator_target']:,}"
                  if "discriminator_macs" in learned else "whole")
        print(f"| {method_label(config)} {config['selection']['sparsity']} | {learned['steps']} |"
              f" {learned['macs']:,} / {learned['target_macs']:,} | {d_macs} |"
              f" {spread([e['d_loss'] for e in late if 'd_loss' in e])} |"
              f" {spread([e['g_adv'] for e in late if 'g_adv' in e])} |"
              f" {spread([e['kernel'] for e in late if 'kernel' in e])} |")


if __name__ == "__main__":
    main(sys.argv[1:])
