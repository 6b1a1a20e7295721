#!/usr/bin/env python3
"""Draw how the cost of a connection and of an idle session grows, from the JSON lines that
`bash bench/compare --out FILE` keeps: four panels, one line per server (medians over the repetitions),
each point labelled with its value. A line per JSON "label": windsock, microsocks and Dante, and every
Windsock build the run measured (`--targets "... before:DLL after:DLL"`); `--labels` picks others.

  * connection rate (conn/s) against concurrent clients (1 / 16 / 64 / 256 by default),
  * p99 of a whole connection (ms) against concurrent clients,
  * the server's CPU per connection (µs) against concurrent clients,
  * memory per idle session (KiB, PSS summed over the server's processes) against sessions held.

    python3 bench/scaling-chart.py results.jsonl docs/images/scaling.svg [--title "..."] [--labels "before after dante"]

Only the standard library: the chart is plain SVG text, reviewable in a diff. The x axes are the
measured points at equal spacing (not a linear scale): 1 and 256 clients would otherwise crowd.
"""
import argparse
import json
import math
import statistics
import sys
from xml.sax.saxutils import escape

# label in the JSON lines -> (name in the legend, colour); other labels (builds) get a colour of EXTRA_COLOURS.
KNOWN = {
    "windsock": ("Windsock", "#1f77b4"),
    "microsocks": ("microsocks", "#2ca02c"),
    "dante": ("Dante", "#d62728"),
    "windsock-copy": ("Windsock (copy relay)", "#17becf"),
    "direct": ("direct (no proxy)", "#7f7f7f"),
}
EXTRA_COLOURS = ["#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#bcbd22", "#1f3f77"]
# Drawn unless --labels says otherwise: no direct (it has no server CPU or memory) and no windsock-copy (the
# same server as windsock for connections and idle sessions).
NOT_BY_DEFAULT = {"direct", "windsock-copy"}
PANELS = [
    # mode, field, title, scale, the x field, its label, logarithmic y (Dante's memory is 20-40x the others')
    ("connrate", "conn_per_s", "connection rate (conn/s; higher is better)", 1, "concurrency", "concurrent clients", False),
    ("connrate", "p99_us", "p99 of a connection (ms; lower is better)", 1 / 1000, "concurrency", "concurrent clients", False),
    ("connrate", "server_cpu_us_per_conn", "server CPU per connection (µs; lower is better)", 1, "concurrency", "concurrent clients", False),
    ("idle", "pss_per_session_kib", "KiB per idle session (PSS, log scale; lower is better)", 1, "sessions", "idle sessions held", True),
]
WIDTH, PANEL_W, PANEL_H, LEFT, TOP, GAP_X, GAP_Y = 900, 360, 200, 70, 60, 90, 90


def read(path):
    rows = []
    with open(path) as f:
        for line in f:
            line = line.strip()
            if line:
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError:
                    pass
    if not rows:
        sys.exit(f"scaling-chart: {path} has no results")
    return rows


def medians(rows, mode, field, xfield, label):
    """{x: median of field} over the runs of one server; failed runs (no value) are left out."""
    by_x = {}
    for r in rows:
        if r.get("mode") == mode and r.get("label") == label and r.get(field) is not None:
            by_x.setdefault(int(r[xfield]), []).append(float(r[field]))
    return {x: statistics.median(v) for x, v in sorted(by_x.items())}


def nice_max(value):
    if value <= 0:
        return 1
    magnitude = 10 ** (len(str(int(value))) - 1) if value >= 1 else 0.1
    for m in (1, 2, 2.5, 5, 10):
        if value <= m * magnitude:
            return m * magnitude
    return 10 * magnitude


def fmt(v):
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}" if v >= 10 else f"{v:.2f}"


def servers(rows, wanted):
    """[(label, legend name, colour)]: the labels asked for, or by default windsock, microsocks, Dante and
    then every other label in the order the results first name it (the builds of a before/after run)."""
    seen = []
    for r in rows:
        if r.get("label") is not None and r["label"] not in seen:
            seen.append(r["label"])
    if wanted:
        missing = [label for label in wanted if label not in seen]
        if missing:
            sys.exit(f"scaling-chart: no results labelled {', '.join(missing)} (the file has: {', '.join(seen)})")
        labels = wanted
    else:
        labels = [label for label in ("windsock", "microsocks", "dante") if label in seen] + \
                 [label for label in seen if label not in KNOWN and label not in NOT_BY_DEFAULT]
        if not labels:
            sys.exit(f"scaling-chart: no server's results to draw (the file has: {', '.join(seen)})")
    extra = iter(EXTRA_COLOURS * (1 + len(labels) // len(EXTRA_COLOURS)))
    return [(label, *KNOWN[label]) if label in KNOWN else (label, label, next(extra)) for label in labels]


def panel(rows, spec, left, top, drawn):
    mode, field, title, scale, xfield, xlabel, log = spec
    series = [(name, colour, {x: v * scale for x, v in medians(rows, mode, field, xfield, label).items()})
              for label, name, colour in drawn]
    xs = sorted({x for _, _, points in series for x in points})
    out = [f'<text x="{left}" y="{top - 10}" font-size="13" font-weight="bold">{escape(title)}</text>',
           f'<rect x="{left}" y="{top}" width="{PANEL_W}" height="{PANEL_H}" fill="none" stroke="#999"/>']
    if not xs:
        out.append(f'<text x="{left + 10}" y="{top + PANEL_H / 2}" font-size="12">not measured</text>')
        return out
    values = [v for _, _, p in series for v in p.values()]
    if log:
        low = 10 ** math.floor(math.log10(max(min(values), 1e-3)))
        high = 10 ** math.ceil(math.log10(max(values) * 1.15))
        ticks = [low * 10 ** i for i in range(round(math.log10(high / low)) + 1)]

        def y_of(v):
            return top + PANEL_H - PANEL_H * (math.log10(max(v, low)) - math.log10(low)) / (math.log10(high) - math.log10(low))
    else:
        y_max = nice_max(max(values) * 1.15)
        ticks = [y_max * i / 4 for i in range(5)]

        def y_of(v):
            return top + PANEL_H - PANEL_H * v / y_max

    def x_of(x):
        return left + PANEL_W * (xs.index(x) + 0.5) / len(xs)

    for v in ticks:
        y = y_of(v)
        out.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + PANEL_W}" y2="{y:.1f}" stroke="#eee"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" font-size="11" text-anchor="end">{v:g}</text>')
    for x in xs:
        out.append(f'<text x="{x_of(x):.1f}" y="{top + PANEL_H + 16}" font-size="11" text-anchor="middle">{x:,}</text>')
    out.append(f'<text x="{left + PANEL_W / 2}" y="{top + PANEL_H + 32}" font-size="11" text-anchor="middle" fill="#555">{escape(xlabel)}</text>')
    for index, (name, colour, points) in enumerate(series):
        if not points:
            continue
        # Labels of the servers at different heights, so that close values stay readable.
        dy = (-6, 14, -16, 24, -26)[index % 5]
        xy = " ".join(f"{x_of(x):.1f},{y_of(v):.1f}" for x, v in points.items())
        out.append(f'<polyline points="{xy}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for x, v in points.items():
            out.append(f'<circle cx="{x_of(x):.1f}" cy="{y_of(v):.1f}" r="3" fill="{colour}"/>')
            out.append(f'<text x="{x_of(x) + 5:.1f}" y="{y_of(v) + dy:.1f}" font-size="10" fill="{colour}">{fmt(v)}</text>')
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results", help="JSON lines from bench/compare --out")
    parser.add_argument("svg", help="where to write the chart")
    parser.add_argument("--title", default="How cost grows: Windsock, microsocks and Dante on loopback")
    parser.add_argument("--labels", help='the results to draw, by their "label", space-separated '
                        '(default: windsock, microsocks, dante and every build in the file)')
    args = parser.parse_args()
    rows = read(args.results)
    drawn = servers(rows, args.labels.split() if args.labels else None)
    height = TOP + 2 * (PANEL_H + GAP_Y) + 10
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" font-family="sans-serif">',
           f'<rect width="{WIDTH}" height="{height}" fill="white"/>',
           f'<text x="{LEFT}" y="24" font-size="15" font-weight="bold">{escape(args.title)}</text>']
    legend_x = LEFT
    for _, name, colour in drawn:
        out.append(f'<rect x="{legend_x}" y="34" width="14" height="4" fill="{colour}"/>')
        out.append(f'<text x="{legend_x + 18}" y="40" font-size="12">{escape(name)}</text>')
        legend_x += max(110, 18 + 7 * len(name) + 20)
    for i, spec in enumerate(PANELS):
        left = LEFT + (i % 2) * (PANEL_W + GAP_X)
        top = TOP + 20 + (i // 2) * (PANEL_H + GAP_Y)
        out.extend(panel(rows, spec, left, top, drawn))
    out.append("</svg>")
    with open(args.svg, "w") as f:
        f.write("\n".join(out) + "\n")


if __name__ == "__main__":
    main()
