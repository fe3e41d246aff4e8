#!/usr/bin/env python3
"""Prints the markdown table of compress runs: costs, measured latency and metrics before / after fine-tuning.

Usage: bench/compress_table.py RUN_DIR...   (reads config.json, events.jsonl and report.md of each)
"""
import json
import re
import sys


def events(run):
    with open(f"{run}/events.jsonl") as f:
        return [json.loads(line) for line in f if line.strip()]


def latency(run, row="latency batch"):
    """Teacher and student ms by batch: medians ("latency batch N"), or fastest passes ("fastest pass, batch N":
    reports since the seventeenth session)."""
    rows = {}
    with open(f"{run}/report.md") as f:
        for line in f:
            m = re.match(r"\| " + row + r" (\d+)[^|]*\| ([\d.]+) \| ([\d.]+) \|", line)
            if m:
                rows[int(m.group(1))] = (float(m.group(2)), float(m.group(3)))
    return rows


def method_label(config, ev):
    """The method, telling the density runs that prune the generator alone from those that prune both networks, and
    learned runs whose MAC budget counted transposed convolutions by input (as their "learned" event records, "auto"
    resolved)."""
    learn = config.get("learn", {})
    label = config["method"]
    if label == "density" and not learn.get("prune_discriminator", True):
        label = "density (G only)"
    learned = next((e for e in ev if e["kind"] == "learned"), {})
    if learned.get("mac_count") == "by_input":
        label += ", budget by input"
    return label


def main(runs):
    print("| method | sparsity | params | MACs | MAC cut | latency b16 teacher / student (ms, 1 thread) | speed-up"
          " | speed-up / MAC cut | at b64 | fastest passes b16 | MAC cut by input | speed-up / it | FD before → after"
          " | precision | recall | density | coverage |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    teacher_row = None
    for run in runs:
        run = run.rstrip("/")
        with open(f"{run}/config.json") as f:
            config = json.load(f)
        ev = events(run)
        evals = {}
        for e in ev:
            if e["kind"] == "eval":
                evals[e.get("model", "student")] = e
        pruned = next(e for e in ev if e["kind"] == "pruned")
        started = next(e for e in ev if e["kind"] == "stage")
        lat = latency(run)
        t16, s16 = lat[16]
        if teacher_row is None and "teacher" in evals:
            teacher_row = evals["teacher"]
        # runs made with evaluation off have latency but no metrics
        before, after = evals.get("pruned"), evals.get("student")
        # MACs of the teacher: from the report table
        with open(f"{run}/report.md") as f:
            md = f.read()
        macs = re.search(r"\| MACs[^|]*\| ([^|]+) \| ([^|]+) \| ([\d.]+)x", md)
        # transposed convs counted by input (the multiplications performed): reports since the eighth session
        by_input = re.search(r"\| MACs \(transposed convs by input[^|]*\|[^|]+\|[^|]+\| ([\d.]+)x", md)
        params = re.search(r"\| parameters \| ([^|]+) \| ([^|]+) \|", md)
        cut = float(macs.group(3))
        speed = t16 / s16
        # batch 64 only in reports written since the report measured it
        at64 = f"{lat[64][0] / lat[64][1] / cut:.2f}" if 64 in lat else "–"
        fastest = latency(run, "fastest pass, batch")
        fast16 = f"{fastest[16][0] / fastest[16][1] / cut:.2f}" if 16 in fastest else "–"
        cut_in = float(by_input.group(1)) if by_input else None
        by_input_cols = f"{cut_in:.2f}x | {speed / cut_in:.2f}" if cut_in else "– | –"
        def pair(k, digits=3):
            return f"{before[k]:.{digits}f} → {after[k]:.{digits}f}" if before and after else "–"
        print(f"| {method_label(config, ev)} | {config['selection']['sparsity']} | {params.group(2).strip()} |"
              f" {macs.group(2).strip()} | {cut:.2f}x | {t16:.2f} / {s16:.2f} | {speed:.2f}x | {speed / cut:.2f} | {at64} | {fast16} |"
              f" {by_input_cols} |"
              f" {pair('fd', 1)} | {pair('precision')} | {pair('recall')} |"
              f" {pair('density')} | {pair('coverage')} |")
    if teacher_row:
        t = teacher_row
        print(f"\nTeacher: {t['labels']['fd']} {t['fd']:.1f}, precision {t['precision']:.3f}, recall {t['recall']:.3f},"
              f" density {t['density']:.3f}, coverage {t['coverage']:.3f} ({t['n']} samples, extractor {t['extractor']}).")


if __name__ == "__main__":
    main(sys.argv[1:])
