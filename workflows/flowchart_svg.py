"""A flowchart as an SVG picture (or an HTML page around it), laid out in layers.

Each node sits one layer below the lowest node with a forward edge into it (longest
path, in step order); nodes of a layer sit side by side. Forward edges go down; edges
back to an earlier step (jumps, loops) bend round the right-hand side.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from workflows.flowchart import Chart, Edge, Node

WIDTH, HEIGHT = 240, 44
GAP_X, GAP_Y = 40, 70
MARGIN = 30
LABEL_CHARS = 36
CHAR_WIDTH = 6.6
FILL = {"terminal": "#e8f0fe", "step": "#ffffff", "decision": "#fff4e0"}


@dataclass(frozen=True)
class Box:
    """Where a node is drawn: its centre."""

    x: float
    y: float


def layout(drawn: Chart) -> dict[str, Box]:
    """The centre of every node."""
    order = {node.key: index for index, node in enumerate(drawn.nodes)}
    layer: dict[str, int] = {}
    for node in drawn.nodes:
        before = [
            layer[e.source]
            for e in drawn.edges
            if e.target == node.key and e.source in layer and order[e.source] < order[node.key]
        ]
        layer[node.key] = max(before) + 1 if before else (0 if not layer else 1)
    rows: dict[int, list[str]] = {}
    for node in drawn.nodes:
        rows.setdefault(layer[node.key], []).append(node.key)
    widest = max(len(keys) for keys in rows.values())
    middle = MARGIN + widest * (WIDTH + GAP_X) / 2
    boxes = {}
    for number, keys in rows.items():
        for position, key in enumerate(keys):
            offset = (position - (len(keys) - 1) / 2) * (WIDTH + GAP_X)
            boxes[key] = Box(middle + offset, MARGIN + HEIGHT / 2 + number * (HEIGHT + GAP_Y))
    return boxes


def svg(drawn: Chart, title: str = "") -> str:
    """The chart as a standalone SVG document."""
    boxes = layout(drawn)
    order = {node.key: index for index, node in enumerate(drawn.nodes)}
    back = [e for e in drawn.edges if order[e.target] <= order[e.source]]
    width = max(b.x for b in boxes.values()) + WIDTH / 2 + MARGIN + 40 * (len(back) + 1)
    height = max(b.y for b in boxes.values()) + HEIGHT / 2 + MARGIN
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="sans-serif" font-size="12" role="img">',
        f"<title>{escape(title)}</title>" if title else "",
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
        'markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/>'
        "</marker></defs>",
    ]
    for edge in drawn.edges:
        lane = back.index(edge) + 1 if edge in back else 0
        parts.append(_edge(edge, boxes[edge.source], boxes[edge.target], lane))
    parts.extend(_node(node, boxes[node.key]) for node in drawn.nodes)
    parts.append("</svg>")
    return "\n".join(part for part in parts if part) + "\n"


def html(drawn: Chart, title: str) -> str:
    """An HTML page that shows the chart (opens in any browser, needs nothing else)."""
    return (
        f'<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{escape(title)}</title>'
        "<style>body{font-family:sans-serif;margin:2rem}</style></head>\n"
        f"<body><h1>{escape(title)}</h1>\n{svg(drawn, title)}</body></html>\n"
    )


def _node(node: Node, box: Box) -> str:
    left, top = box.x - WIDTH / 2, box.y - HEIGHT / 2
    text = node.label if len(node.label) <= LABEL_CHARS else node.label[: LABEL_CHARS - 1] + "…"
    if node.shape == "decision":
        dent = 14
        points = (
            f"{left},{box.y} {left + dent},{top} {left + WIDTH - dent},{top} {left + WIDTH},{box.y} "
            f"{left + WIDTH - dent},{top + HEIGHT} {left + dent},{top + HEIGHT}"
        )
        shape = f'<polygon points="{points}" fill="{FILL[node.shape]}" stroke="#333"/>'
    else:
        radius = HEIGHT / 2 if node.shape == "terminal" else 6
        shape = (
            f'<rect x="{left}" y="{top}" width="{WIDTH}" height="{HEIGHT}" rx="{radius}" '
            f'fill="{FILL[node.shape]}" stroke="#333"/>'
        )
    return (
        f'<g class="node" id="{escape(node.key)}"><title>{escape(node.label)}</title>{shape}'
        f'<text x="{box.x}" y="{box.y + 4}" text-anchor="middle">{escape(text)}</text></g>'
    )


def _edge(edge: Edge, source: Box, target: Box, lane: int) -> str:
    dash = ' stroke-dasharray="5,4"' if edge.dashed else ""
    if lane:
        out = max(source.x, target.x) + WIDTH / 2 + 40 * lane
        start, end = (source.x + WIDTH / 2, source.y), (target.x + WIDTH / 2, target.y)
        path = f"M{start[0]},{start[1]} C{out},{start[1]} {out},{end[1]} {end[0]},{end[1]}"
        label_at = (out - 0.25 * (out - start[0]), (start[1] + end[1]) / 2)
    else:
        start, end = (source.x, source.y + HEIGHT / 2), (target.x, target.y - HEIGHT / 2)
        bend = 0.0 if end[1] - start[1] <= GAP_Y + 1 else -(WIDTH / 2 + GAP_X / 2)
        middle = ((start[0] + end[0]) / 2 + bend, (start[1] + end[1]) / 2)
        path = f"M{start[0]},{start[1]} Q{middle[0]},{middle[1]} {end[0]},{end[1]}"
        label_at = ((start[0] + end[0]) / 2 + bend / 2, middle[1])
    parts = [
        f'<g class="edge" data-source="{edge.source}" data-target="{edge.target}">',
        f"<title>{escape(edge.label)}</title>" if edge.label else "",
        f'<path d="{path}" fill="none" stroke="#555"{dash} marker-end="url(#arrow)"/>',
    ]
    if edge.label:
        text = edge.label if len(edge.label) <= 48 else edge.label[:47] + "…"
        half = len(text) * CHAR_WIDTH / 2 + 3
        parts.append(
            f'<rect x="{label_at[0] - half:.1f}" y="{label_at[1] - 9:.1f}" width="{2 * half:.1f}" '
            f'height="16" fill="#fff" opacity="0.9"/>'
            f'<text x="{label_at[0]:.1f}" y="{label_at[1] + 3:.1f}" text-anchor="middle" fill="#333">'
            f"{escape(text)}</text>"
        )
    parts.append("</g>")
    return "".join(parts)
