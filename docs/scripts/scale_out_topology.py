#!/usr/bin/env python3
"""Draws docs/images/scale-out.svg, the topology of docs/scale-out.md (and of the fleet test,
tests/Windsock.Interop.Tests/FleetTests.cs). Plain SVG text, no libraries:

    python3 docs/scripts/scale_out_topology.py            # rewrites docs/images/scale-out.svg
"""
import pathlib

W, H = 1200, 440
BOX_W, BOX_H = 230, 86

# name, x, y, title, lines
boxes = {
    "client": (10, 172, "client", ["10.232.1.2 (allowed)", "10.232.1.3 (denied by rule)", "10.232.1.4 (denied after reload)"]),
    "haproxy": (335, 172, "HAProxy (mode tcp)", ["frontend 10.232.1.1:1080", "send-proxy-v2, crc32c", "check inter 500ms fall 2"]),
    "node1": (660, 40, "Windsock node1", ["listen 10.232.2.2:1080", "UDP relay 10.232.2.3", "proxy_protocol_from 10.232.2.1"]),
    "node2": (660, 304, "Windsock node2", ["listen 10.232.3.2:1080", "UDP relay 10.232.3.3", "proxy_protocol_from 10.232.3.1"]),
    "target": (660, 172, "target", ["10.232.4.2", "HTTP :80, UDP echo :7", ""]),
    "prometheus": (955, 172, "Prometheus", ["(in HAProxy's namespace)", "scrapes both admin listeners", "10.232.2.2 / 10.232.3.2 :9180"]),
}


def box(x, y, title, lines, fill):
    out = [f'<rect x="{x}" y="{y}" width="{BOX_W}" height="{BOX_H}" rx="8" fill="{fill}" stroke="#333" stroke-width="1.5"/>',
           f'<text x="{x + BOX_W / 2}" y="{y + 22}" text-anchor="middle" font-weight="bold">{title}</text>']
    for i, line in enumerate(lines):
        out.append(f'<text x="{x + BOX_W / 2}" y="{y + 44 + i * 16}" text-anchor="middle" font-size="12">{line}</text>')
    return out


def anchor(name, side):
    x, y = boxes[name][0], boxes[name][1]
    return {"left": (x, y + BOX_H / 2), "right": (x + BOX_W, y + BOX_H / 2),
            "top": (x + BOX_W / 2, y), "bottom": (x + BOX_W / 2, y + BOX_H)}[side]


def arrow(a, b, label, colour, dashed=False, dy=-6, bend=0, dx=0):
    (x1, y1), (x2, y2) = a, b
    dash = ' stroke-dasharray="6 4"' if dashed else ""
    mx, my = (x1 + x2) / 2, (y1 + y2) / 2 + bend
    # The curve passes halfway to its control point: the label sits there, on the curve.
    return [f'<path d="M{x1},{y1} Q{mx},{my} {x2},{y2}" fill="none" stroke="{colour}" stroke-width="2"{dash} marker-end="url(#head-{colour[1:]})"/>',
            f'<text x="{mx + dx}" y="{(y1 + y2) / 2 + bend / 2 + dy}" text-anchor="middle" font-size="11" fill="{colour}">{label}</text>']


def main():
    tcp, udp, out, scrape = "#1f5fa8", "#b5561b", "#2e7d32", "#6a1b9a"
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" font-family="sans-serif" font-size="13">',
             '<rect width="100%" height="100%" fill="white"/>', "<defs>"]
    for colour in (tcp, udp, out, scrape):
        parts.append(f'<marker id="head-{colour[1:]}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">'
                     f'<path d="M0,0 L10,5 L0,10 z" fill="{colour}"/></marker>')
    parts.append("</defs>")
    fills = {"client": "#eef3fb", "haproxy": "#fdf6e3", "node1": "#e8f5e9", "node2": "#e8f5e9", "target": "#f3e5f5", "prometheus": "#f5f5f5"}
    for name, (x, y, title, lines) in boxes.items():
        parts += box(x, y, title, lines, fills[name])
    parts += arrow(anchor("client", "right"), anchor("haproxy", "left"), "SOCKS", tcp)
    parts += arrow(anchor("haproxy", "right"), anchor("node1", "left"), "PROXY v2 + SOCKS", tcp, bend=-40, dx=-20)
    parts += arrow(anchor("haproxy", "right"), anchor("node2", "left"), "PROXY v2 + SOCKS", tcp, bend=40, dy=16, dx=-20)
    parts += arrow(anchor("node1", "bottom"), anchor("target", "top"), "connect to the target", out, dy=4, dx=-68)
    parts += arrow(anchor("node2", "top"), anchor("target", "bottom"), "connect to the target", out, dy=4, dx=-68)
    parts += arrow((anchor("client", "top")[0], 172), (660, 70), "UDP datagrams to the advertised relay (routed, not balanced)", udp, dashed=True, bend=-150, dy=-10)
    parts += arrow((anchor("client", "bottom")[0], 258), (660, 334), "UDP datagrams to node2's advertised relay", udp, dashed=True, bend=150, dy=14)
    parts += arrow(anchor("prometheus", "top"), anchor("node1", "right"), "GET /metrics, bearer token", scrape, dashed=True, bend=-30, dy=-34, dx=45)
    parts += arrow(anchor("prometheus", "bottom"), anchor("node2", "right"), "GET /metrics, bearer token", scrape, dashed=True, bend=30, dy=50, dx=45)
    parts.append(f'<text x="20" y="{H - 12}" font-size="11" fill="#555">Each box but Prometheus is a network namespace in the fleet test; '
                 'HAProxy\'s namespace also routes between the links. Drawn by docs/scripts/scale_out_topology.py.</text>')
    parts.append("</svg>")
    target = pathlib.Path(__file__).resolve().parent.parent / "images" / "scale-out.svg"
    target.write_text("\n".join(parts) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
