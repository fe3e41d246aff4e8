#!/usr/bin/env python3
"""Prints how learned-mask runs behaved while they pruned: the discriminator's and the generator's local adversarial
losses (mean and spread over the second half of the pruning phase, where the budget is close), the kernel term, and
the MACs reached against the targets.

Usage: bench/learn_dynamics.py [--svg CURVES.svg] RUN_DIR...   (reads config.json and events.jsonl of each)
--svg also draws every run's discriminator and generator losses against the pruning step, one chart.
"""
import json
import statistics
import sys

from compress_table import events, method_label


def spread(values):
    return f"{statistics.mean(values):.3f} ± {statistics.pstdev(values):.3f}" if values else "–"


COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]


def write_svg(path, series, width=900, height=360, margin=48, legend=230):
    """Line chart of [(label, [(x, y), ...]), ...] as a standalone SVG with axes, ticks and a legend."""
    xs = [x for _, pts in series for x, _ in pts]
    ys = [y for _, pts in series for _, y in pts]
    x0, x1, y0, y1 = min(xs), max(xs), 0.0, max(ys) * 1.05
    sx = lambda x: margin + (x - x0) / (x1 - x0 or 1) * (width - 2 * margin - legend)
    sy = lambda y: height - margin - (y - y0) / (y1 - y0 or 1) * (height - 2 * margin)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" '
           f'font-size="11"><rect width="100%" height="100%" fill="white"/>',
           f'<line x1="{margin}" y1="{height - margin}" x2="{width - margin - legend}" y2="{height - margin}" '
           'stroke="#444"/>',
           f'<line x1="{margin}" y1="{margin}" x2="{margin}" y2="{height - margin}" stroke="#444"/>']
    for i in range(6):
        y = y0 + (y1 - y0) * i / 5
        x = x0 + (x1 - x0) * i / 5
        out.append(f'<text x="{margin - 6}" y="{sy(y) + 4:.1f}" text-anchor="end">{y:.2f}</text>')
        out.append(f'<text x="{sx(x):.1f}" y="{height - margin + 16}" text-anchor="middle">{x:.0f}</text>')
    out.append(f'<text x="{(width - legend) / 2}" y="{height - 8}" text-anchor="middle">pruning step</text>')
    for i, (label, pts) in enumerate(series):
        colour = COLOURS[i % len(COLOURS)]
        line = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in pts)
        out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.6" points="{line}"/>')
        out.append(f'<text x="{width - legend}" y="{margin + 16 * i}" fill="{colour}">{label}</text>')
    out.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")


def main(runs):
    svg = None
    if len(runs) > 1 and runs[0] == "--svg":
        svg, runs = runs[1], runs[2:]
    series = []
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
        for key, what in (("d_loss", "D loss"), ("g_adv", "G adversarial")):
            pts = [(e["learn_step"], e[key]) for e in curve if key in e]
            if pts:
                series.append((f"{method_label(config)}: {what}", pts))
    if svg and series:
        write_svg(svg, series)


if __name__ == "__main__":
    main(sys.argv[1:])
