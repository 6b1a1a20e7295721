#!/usr/bin/env python3
"""Draw `bench/idle-scaling` results as one SVG: RSS per idle session (KiB, log scale) against the number of
sessions held, one line per target through the median of its runs, every run as a dot.

    python3 docs/scripts/idle_memory_chart.py after.csv docs/images/idle-memory.svg
    python3 docs/scripts/idle_memory_chart.py after.csv before.csv:before docs/images/idle-memory.svg

A CSV given as FILE:SUFFIX has " (SUFFIX)" added to its target names (drawn dashed), so a before/after pair
shares one chart. Only the standard library: the chart is plain SVG text, reviewable in a diff.
"""
import csv
import math
import statistics
import sys
from xml.sax.saxutils import escape

WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 820, 420, 70, 250, 40, 50
COLOURS = ["#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#7f7f7f"]


def read(spec):
    path, _, suffix = spec.partition(":")
    runs = []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            # A run that could not open every session (Dante at 9000 sometimes) measures something else: left out.
            if not row.get("rss_per_session_kib") or row["opened"] != row["sessions"]:
                continue
            name = row["target"] + (f" ({suffix})" if suffix else "")
            runs.append((name, int(row["sessions"]), float(row["rss_per_session_kib"]), bool(suffix)))
    return runs


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    runs = [r for spec in argv[1:-1] for r in read(spec)]
    if not runs:
        sys.exit("idle_memory_chart: no runs in the input")
    out = argv[-1]

    targets = list(dict.fromkeys(r[0] for r in runs))
    sizes = sorted({r[1] for r in runs})
    values = [r[2] for r in runs if r[2] > 0]
    low = 10 ** math.floor(math.log10(min(values)))
    high = 10 ** math.ceil(math.log10(max(values)))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(size):
        if len(sizes) == 1:
            return LEFT + plot_w / 2
        return LEFT + plot_w * (size - sizes[0]) / (sizes[-1] - sizes[0])

    def y(kib):
        return TOP + plot_h * (1 - (math.log10(kib) - math.log10(low)) / (math.log10(high) - math.log10(low)))

    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" font-family="sans-serif" font-size="12">',
           f'<rect width="{WIDTH}" height="{HEIGHT}" fill="white"/>',
           f'<text x="{LEFT}" y="22" font-size="14">RSS per idle CONNECTed session (KiB, log scale), fresh server each run</text>']
    decade = low
    while decade <= high:
        for step in (1, 2, 5):
            v = decade * step
            if low <= v <= high:
                svg.append(f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#ddd"/>')
                svg.append(f'<text x="{LEFT - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v:g}</text>')
        decade *= 10
    for size in sizes:
        svg.append(f'<line x1="{x(size):.1f}" x2="{x(size):.1f}" y1="{TOP}" y2="{TOP + plot_h}" stroke="#eee"/>')
        svg.append(f'<text x="{x(size):.1f}" y="{TOP + plot_h + 18}" text-anchor="middle">{size:,}</text>')
    svg.append(f'<text x="{LEFT + plot_w / 2}" y="{HEIGHT - 10}" text-anchor="middle">idle sessions held</text>')
    svg.append(f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="none" stroke="#333"/>')

    # The targets for Windsock: 4 KiB (JIT) and 3 KiB (NativeAOT) per session at 9,000.
    for goal, label in ((4, "target 4 KiB (JIT)"), (3, "target 3 KiB (NativeAOT)")):
        if low <= goal <= high:
            svg.append(f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{y(goal):.1f}" y2="{y(goal):.1f}" stroke="#999" stroke-dasharray="2 3"/>')
            svg.append(f'<text x="{LEFT + 6}" y="{y(goal) - 4:.1f}" fill="#666">{label}</text>')

    bases = list(dict.fromkeys(t.split(" (")[0] for t in targets))
    for i, target in enumerate(targets):
        colour = COLOURS[bases.index(target.split(" (")[0]) % len(COLOURS)]
        mine = [r for r in runs if r[0] == target]
        dashed = mine[0][3]
        medians = []
        for size in sizes:
            at = [r[2] for r in mine if r[1] == size and r[2] > 0]
            for v in at:
                svg.append(f'<circle cx="{x(size):.1f}" cy="{y(v):.1f}" r="2.5" fill="{colour}" fill-opacity="0.5"/>')
            if at:
                medians.append((size, statistics.median(at)))
        points = " ".join(f"{x(s):.1f},{y(v):.1f}" for s, v in medians)
        dash = ' stroke-dasharray="6 4"' if dashed else ""
        svg.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
        ly = TOP + 14 + i * 20
        svg.append(f'<line x1="{LEFT + plot_w + 12}" x2="{LEFT + plot_w + 36}" y1="{ly - 4}" y2="{ly - 4}" stroke="{colour}" stroke-width="2"{dash}/>')
        last = f" {medians[-1][1]:.1f}" if medians else ""
        svg.append(f'<text x="{LEFT + plot_w + 42}" y="{ly}">{escape(target)}{last}</text>')

    svg.append("</svg>")
    with open(out, "w") as f:
        f.write("\n".join(svg) + "\n")


if __name__ == "__main__":
    main(sys.argv)
