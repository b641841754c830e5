// A flowchart laid out by dagre and drawn as SVG: the workflow page's graph, and any other
// page's drawing of the same chart with numbers on it (the runs funnel).
//
// The chart is exactly what the API returns under "chart" (GET /api/workflows/{name}):
//
//   {
//     "nodes": [{"key": "s0", "label": "greet: send_message 'Hi'", "shape": "step"}, ...],
//     "edges": [{"source": "s0", "target": "s1", "label": "answered", "dashed": false}, ...]
//   }
//
// shape is "terminal" (the trigger and the end: a pill), "step" (a box) or "decision"
// (branch, date_time: a hexagon). Nodes come in step order, the trigger first and the end
// ("done") last; an edge's label may be empty; dashed edges are the default flow (on to
// the next step). Several edges may join the same two nodes; edges may point back.
//
// options (all optional):
//   title        the picture's accessible name (default "Workflow graph")
//   description  a longer text for screen readers (<desc>)
//   badges       {nodeKey: "text"}: a small badge on the node's top right corner
//   edgeBadges   {"source->target": "text"}: a badge on that edge (on each edge between them)
//   classes      {nodeKey: "class names"}: extra classes on the node's <g>
//   rankdir      "TB" (default) or "LR"
//   onSelect     function(key): nodes become focusable and call it when clicked or on
//                Enter/Space (see selectableNodes)
//
// The SVG gets class "graph"; its parts: g.graph-node (data-key, class graph-<shape>, a
// shape then text), g.graph-edge (data-source, data-target, path.graph-line, optional
// g.graph-edge-label), .graph-badge. Colours and fonts come from the console's style.css.
// The container is made focusable (tabindex 0) unless it says otherwise: it may scroll.

import { Graph, layout } from "@dagrejs/dagre";

const SVG = "http://www.w3.org/2000/svg";
const FONT_SIZE = 13;
const LINE_HEIGHT = 17;
const BADGE_FONT = 11;
const MAX_CHARS = 26;
const PAD_X = 12;
const PAD_Y = 8;
let drawn = 0;

let measurer = null;

/** The width of `text` in px at `size` (the console's sans-serif font). */
function textWidth(text, size = FONT_SIZE) {
  if (measurer === null) {
    const canvas = document.createElement("canvas");
    measurer = canvas.getContext ? canvas.getContext("2d") : null;
  }
  if (!measurer) return text.length * size * 0.6;
  measurer.font = `${size}px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif`;
  return measurer.measureText(text).width;
}

/** `text` broken into lines of at most MAX_CHARS characters, at spaces where it can be. */
export function wrap(text, max = MAX_CHARS) {
  const lines = [];
  let line = "";
  for (let word of String(text).split(/\s+/).filter(Boolean)) {
    while (word.length > max) {
      if (line) {
        lines.push(line);
        line = "";
      }
      lines.push(word.slice(0, max));
      word = word.slice(max);
    }
    if (!line) line = word;
    else if (line.length + 1 + word.length <= max) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line || lines.length === 0) lines.push(line);
  return lines;
}

function el(name, attributes = {}, parent = null) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, String(value));
  if (parent) parent.appendChild(node);
  return node;
}

function textBlock(parent, lines, x, y, className) {
  const text = el("text", { class: className, x, "text-anchor": "middle" }, parent);
  const top = y - ((lines.length - 1) * LINE_HEIGHT) / 2;
  lines.forEach((line, index) => {
    const span = el("tspan", { x, y: top + index * LINE_HEIGHT, dy: "0.35em" }, text);
    span.textContent = line;
  });
  return text;
}

function blockSize(lines) {
  const width = Math.max(...lines.map((line) => textWidth(line)));
  return { width, height: lines.length * LINE_HEIGHT };
}

function badge(parent, text, x, y) {
  const width = textWidth(text, BADGE_FONT) + 10;
  const group = el("g", { class: "graph-badge" }, parent);
  el("rect", { x: x - width / 2, y: y - 9, width, height: 18, rx: 9 }, group);
  const label = el("text", { x, y, dy: "0.35em", "text-anchor": "middle" }, group);
  label.textContent = text;
  return group;
}

function shapeOf(group, shape, x, y, width, height) {
  const left = x - width / 2;
  const top = y - height / 2;
  if (shape === "decision") {
    const inset = Math.min(height / 2, 18);
    const points = [
      [left, y],
      [left + inset, top],
      [left + width - inset, top],
      [left + width, y],
      [left + width - inset, top + height],
      [left + inset, top + height],
    ];
    return el("polygon", { class: "graph-box", points: points.map((p) => p.join(",")).join(" ") }, group);
  }
  const rx = shape === "terminal" ? height / 2 : 4;
  return el("rect", { class: "graph-box", x: left, y: top, width, height, rx }, group);
}

/** A smooth path through dagre's points (straight when there are only two). */
function pathOf(points) {
  if (points.length === 0) return "";
  let d = `M${points[0].x},${points[0].y}`;
  if (points.length === 2) return `${d} L${points[1].x},${points[1].y}`;
  for (let i = 1; i < points.length - 1; i += 1) {
    const here = points[i];
    const next = points[i + 1];
    const midX = i === points.length - 2 ? next.x : (here.x + next.x) / 2;
    const midY = i === points.length - 2 ? next.y : (here.y + next.y) / 2;
    d += ` Q${here.x},${here.y} ${midX},${midY}`;
  }
  return d;
}

/**
 * Lay out `chart` and draw it into `container` (its content is replaced).
 * Returns the <svg> element; its dataset carries the layout's width and height.
 */
export function drawGraph(container, chart, options = {}) {
  drawn += 1;
  const prefix = `graph${drawn}`;
  const badges = options.badges || {};
  const edgeBadges = options.edgeBadges || {};
  const classes = options.classes || {};
  const nodes = chart && Array.isArray(chart.nodes) ? chart.nodes : [];
  const edges = chart && Array.isArray(chart.edges) ? chart.edges : [];

  const graph = new Graph({ multigraph: true });
  graph.setGraph({
    rankdir: options.rankdir || "TB",
    nodesep: 28,
    ranksep: 44,
    edgesep: 16,
    marginx: 28,
    marginy: 16,
    acyclicer: "greedy",
  });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const node of nodes) {
    const lines = wrap(node.label || node.key);
    const size = blockSize(lines);
    const extra = node.shape === "decision" ? 36 : node.shape === "terminal" ? 16 : 0;
    graph.setNode(node.key, {
      lines,
      shape: node.shape || "step",
      width: Math.max(size.width + 2 * PAD_X + extra, 80),
      height: size.height + 2 * PAD_Y,
    });
  }
  edges.forEach((edge, index) => {
    if (!graph.hasNode(edge.source) || !graph.hasNode(edge.target)) return;
    const lines = edge.label ? wrap(edge.label, 24) : [];
    const badgeText = edgeBadges[`${edge.source}->${edge.target}`];
    const size = lines.length ? blockSize(lines) : { width: 0, height: 0 };
    const badgeWidth = badgeText ? textWidth(String(badgeText), BADGE_FONT) + 10 : 0;
    const width = Math.max(size.width, badgeWidth);
    const height = size.height + (badgeText ? 20 : 0);
    graph.setEdge(
      edge.source,
      edge.target,
      {
        lines,
        badge: badgeText === undefined ? null : String(badgeText),
        dashed: Boolean(edge.dashed),
        width: width ? width + 8 : 0,
        height: height ? height + 4 : 0,
        labelpos: "c",
      },
      `e${index}`,
    );
  });
  layout(graph);

  const box = graph.graph();
  const width = Math.ceil(box.width || 0);
  const height = Math.ceil(box.height || 0);
  const svg = el("svg", {
    class: "graph",
    role: "img",
    "aria-labelledby": `${prefix}-title ${prefix}-desc`,
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
  });
  svg.dataset.width = String(width);
  svg.dataset.height = String(height);
  const title = el("title", { id: `${prefix}-title` }, svg);
  title.textContent = options.title || "Workflow graph";
  const desc = el("desc", { id: `${prefix}-desc` }, svg);
  desc.textContent =
    options.description ||
    `${nodes.length} boxes and ${edges.length} arrows: ` +
      nodes.map((node) => node.label || node.key).join("; then ");
  const defs = el("defs", {}, svg);
  const marker = el(
    "marker",
    {
      id: `${prefix}-arrow`,
      viewBox: "0 0 10 10",
      refX: 9,
      refY: 5,
      markerWidth: 8,
      markerHeight: 8,
      orient: "auto-start-reverse",
    },
    defs,
  );
  el("path", { class: "graph-arrow", d: "M0,0 L10,5 L0,10 z" }, marker);

  const edgeLayer = el("g", { class: "graph-edges" }, svg);
  const nodeLayer = el("g", { class: "graph-nodes" }, svg);
  const labelLayer = el("g", { class: "graph-labels" }, svg);

  for (const ref of graph.edges()) {
    const data = graph.edge(ref);
    const group = el(
      "g",
      {
        class: `graph-edge${data.dashed ? " graph-dashed" : ""}`,
        "data-source": ref.v,
        "data-target": ref.w,
      },
      edgeLayer,
    );
    el(
      "path",
      {
        class: "graph-line",
        d: pathOf(data.points || []),
        fill: "none",
        "marker-end": `url(#${prefix}-arrow)`,
      },
      group,
    );
    if ((data.lines.length || data.badge !== null) && data.x !== undefined) {
      const label = el("g", { class: "graph-edge-label" }, labelLayer);
      label.dataset.source = ref.v;
      label.dataset.target = ref.w;
      const textHeight = data.lines.length * LINE_HEIGHT;
      const total = textHeight + (data.badge !== null ? 20 : 0);
      const top = data.y - total / 2;
      if (data.lines.length) {
        const size = blockSize(data.lines);
        el(
          "rect",
          {
            class: "graph-label-back",
            x: data.x - size.width / 2 - 3,
            y: top,
            width: size.width + 6,
            height: textHeight,
            rx: 3,
          },
          label,
        );
        textBlock(label, data.lines, data.x, top + textHeight / 2, "graph-edge-text");
      }
      if (data.badge !== null) badge(label, data.badge, data.x, top + textHeight + 10);
    }
  }

  for (const key of graph.nodes()) {
    const data = graph.node(key);
    const extra = classes[key] ? ` ${classes[key]}` : "";
    const group = el("g", { class: `graph-node graph-${data.shape}${extra}`, "data-key": key }, nodeLayer);
    shapeOf(group, data.shape, data.x, data.y, data.width, data.height);
    textBlock(group, data.lines, data.x, data.y, "graph-text");
    if (badges[key] !== undefined && badges[key] !== null) {
      badge(group, String(badges[key]), data.x + data.width / 2 - 4, data.y - data.height / 2);
    }
  }

  container.replaceChildren(svg);
  if (options.onSelect) selectableNodes(svg, options.onSelect);
  // a graph wider than its container scrolls: keyboard users must be able to reach it
  if (!container.hasAttribute("tabindex")) container.setAttribute("tabindex", "0");
  return svg;
}

/**
 * Make the nodes of a drawn graph `svg` focusable (tabindex 0: keyboard users Tab to them)
 * and call `onSelect(key)` when one is clicked or gets Enter or Space. Safe to call again.
 * The picture stays one image for screen readers (its children are not announced): a
 * page that selects nodes offers the same choice in a form control as well.
 */
export function selectableNodes(svg, onSelect) {
  for (const node of svg.querySelectorAll("g.graph-node")) {
    if (node.dataset.selectable) continue;
    node.dataset.selectable = "1";
    node.setAttribute("tabindex", "0");
    node.classList.add("graph-selectable");
    node.addEventListener("click", () => onSelect(node.dataset.key));
    node.addEventListener("keydown", (event) => {
      if (event.key !== "Enter" && event.key !== " ") return;
      event.preventDefault();
      onSelect(node.dataset.key);
    });
  }
}
