#!/usr/bin/env python3
"""Draw the samples of `windsock bench soak --csv FILE` as one SVG: four stacked panels (RSS, GC heap,
file descriptors, threads) against elapsed minutes, with the first and last value of each printed.

    python3 bench/soak-chart.py soak.csv docs/soak.svg [--title "1 h soak, 2026-12-02"]

Only the standard library: the chart is plain SVG text, reviewable in a diff.
"""
import argparse
import csv
import sys
from xml.sax.saxutils import escape

PANELS = [
    ("rss_kib", "RSS (MiB)", 1 / 1024, "#1f77b4"),
    ("gc_heap_kib", "GC heap, resident (MiB)", 1 / 1024, "#2ca02c"),
    ("fds", "open file descriptors", 1, "#d62728"),
    ("threads", "threads", 1, "#9467bd"),
]
WIDTH, PANEL_HEIGHT, LEFT, RIGHT, TOP, GAP = 760, 150, 70, 20, 40, 40


def read(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    if not rows:
        sys.exit(f"soak-chart: {path} has no samples")
    return rows


def nice_max(value):
    """A round axis top at or above value."""
    if value <= 0:
        return 1
    step = 10 ** (len(str(int(value))) - 1)
    for m in (1, 2, 2.5, 5, 10):
        if value <= m * step:
            return m * step
    return 10 * step


def panel(rows, key, label, scale, colour, top, minutes_max):
    points = [(float(r["elapsed_s"]) / 60, float(r[key]) * scale) for r in rows if r.get(key)]
    out = []
    height = PANEL_HEIGHT
    plot_w = WIDTH - LEFT - RIGHT
    out.append(f'<text x="{LEFT}" y="{top - 8}" font-size="13" font-weight="bold">{escape(label)}</text>')
    out.append(f'<rect x="{LEFT}" y="{top}" width="{plot_w}" height="{height}" fill="none" stroke="#999"/>')
    if not points:
        out.append(f'<text x="{LEFT + 10}" y="{top + height / 2}" font-size="12">no samples</text>')
        return out
    y_max = nice_max(max(v for _, v in points) * 1.1)
    for i in range(5):
        v = y_max * i / 4
        y = top + height - height * i / 4
        out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + plot_w}" y2="{y:.1f}" stroke="#eee"/>')
        out.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{v:g}</text>')
    xy = " ".join(f"{LEFT + plot_w * m / minutes_max:.1f},{top + height - height * v / y_max:.1f}" for m, v in points)
    out.append(f'<polyline points="{xy}" fill="none" stroke="{colour}" stroke-width="2"/>')
    first, last = points[0][1], points[-1][1]
    out.append(f'<text x="{LEFT + plot_w}" y="{top - 8}" font-size="11" text-anchor="end">'
               f'first {first:.1f}, last {last:.1f}, max {max(v for _, v in points):.1f}</text>')
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv")
    parser.add_argument("svg")
    parser.add_argument("--title", default="windsock bench soak")
    args = parser.parse_args()
    rows = read(args.csv)
    minutes_max = max(float(r["elapsed_s"]) for r in rows) / 60 or 1
    height = TOP + len(PANELS) * (PANEL_HEIGHT + GAP) + 20
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" font-family="sans-serif">',
           f'<rect width="{WIDTH}" height="{height}" fill="white"/>',
           f'<text x="{WIDTH / 2}" y="20" font-size="15" text-anchor="middle">{escape(args.title)}</text>']
    for i, (key, label, scale, colour) in enumerate(PANELS):
        svg += panel(rows, key, label, scale, colour, TOP + 20 + i * (PANEL_HEIGHT + GAP), minutes_max)
    axis_y = TOP + 20 + len(PANELS) * (PANEL_HEIGHT + GAP) - GAP + 16
    plot_w = WIDTH - LEFT - RIGHT
    for i in range(7):
        m = minutes_max * i / 6
        svg.append(f'<text x="{LEFT + plot_w * i / 6:.1f}" y="{axis_y}" font-size="11" text-anchor="middle">{m:.1f}</text>' if minutes_max < 10 else f'<text x="{LEFT + plot_w * i / 6:.1f}" y="{axis_y}" font-size="11" text-anchor="middle">{m:.0f}</text>')
    svg.append(f'<text x="{LEFT + plot_w / 2}" y="{axis_y + 14}" font-size="11" text-anchor="middle">elapsed minutes</text>')
    svg.append("</svg>")
    with open(args.svg, "w") as f:
        f.write("\n".join(svg) + "\n")


if __name__ == "__main__":
    main()
