// The funnel page: the runs that reached each step as a horizontal bar chart (Chart.js),
// the same numbers as badges on the workflow's graph (lib/graph.js), and for each A/B test
// the goal rate of its branches with their 95 % intervals (a bar for the rate, a thin
// floating bar from low to high). The page's tables have every number too; this script
// only draws them.

import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  Tooltip,
} from "chart.js";
import { embedded } from "../lib/api.js";
import { drawGraph } from "../lib/graph.js";

Chart.register(BarController, BarElement, CategoryScale, Legend, LinearScale, Tooltip);

function cssColor(name, fallback) {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

function drawChart(canvas, funnel) {
  const steps = funnel.steps;
  const accent = cssColor("--accent", "#0b57d0");
  const danger = cssColor("--danger", "#a40e26");
  const ink = cssColor("--ink", "#1b1f24");
  const height = Math.max(160, steps.length * 34 + 60);
  canvas.parentElement.style.height = `${height}px`;
  return new Chart(canvas, {
    type: "bar",
    data: {
      labels: steps.map((step) => step.step_id),
      datasets: [
        {
          label: "Reached",
          data: steps.map((step) => step.reached),
          backgroundColor: accent,
        },
        {
          label: "Failed there",
          data: steps.map((step) => step.failed),
          backgroundColor: danger,
        },
      ],
    },
    options: {
      indexAxis: "y",
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: {
        x: { beginAtZero: true, ticks: { precision: 0, color: ink } },
        y: { ticks: { color: ink } },
      },
      plugins: {
        legend: { position: "bottom", labels: { color: ink } },
        tooltip: { enabled: true },
      },
    },
  });
}

const percent = (value) => (value === null ? null : Math.round(value * 1000) / 10);

function drawSplitChart(canvas, split) {
  const accent = cssColor("--accent", "#0b57d0");
  const ink = cssColor("--ink", "#1b1f24");
  const branches = split.branches;
  canvas.parentElement.style.height = `${Math.max(200, 60 + branches.length * 50)}px`;
  // the axis ends a little above the highest interval, so small rates stay readable
  const highest = Math.max(0, ...branches.map((b) => percent(b.high ?? b.rate) ?? 0));
  const top = Math.min(100, Math.ceil((highest + 5) / 10) * 10);
  return new Chart(canvas, {
    type: "bar",
    data: {
      labels: branches.map((branch) => `${branch.name} (${branch.runs})`),
      datasets: [
        {
          label: "95 % interval",
          data: branches.map((b) => (b.low === null ? null : [percent(b.low), percent(b.high)])),
          backgroundColor: "rgba(27, 31, 36, 0.35)",
          borderColor: ink,
          borderWidth: 1,
          borderSkipped: false,
          barPercentage: 0.18,
          grouped: false,
          order: 0,
        },
        {
          label: "Goal rate",
          data: branches.map((branch) => percent(branch.rate)),
          backgroundColor: accent,
          barPercentage: 0.6,
          grouped: false,
          order: 1,
        },
      ],
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      scales: {
        y: {
          beginAtZero: true,
          max: top,
          ticks: { color: ink, callback: (value) => `${value} %` },
          title: { display: true, text: "goal rate", color: ink },
        },
        x: { ticks: { color: ink } },
      },
      plugins: {
        legend: { position: "bottom", labels: { color: ink } },
        tooltip: {
          callbacks: {
            label: (item) => {
              const value = item.raw;
              return Array.isArray(value)
                ? `95 % interval: ${value[0]} % to ${value[1]} %`
                : `goal rate: ${value} %`;
            },
          },
        },
      },
    },
  });
}

function drawSplits() {
  const data = embedded("splits-data");
  if (!data) return;
  for (const canvas of document.querySelectorAll("canvas[data-split]")) {
    const split = data.splits[Number(canvas.dataset.split)];
    if (!split) continue;
    const chart = drawSplitChart(canvas, split);
    canvas.dataset.drawn = String(chart.data.labels.length);
  }
}

function start() {
  drawSplits();
  const funnel = embedded("funnel-data");
  if (!funnel) return;
  const canvas = document.getElementById("funnel-chart");
  if (canvas) {
    const chart = drawChart(canvas, funnel);
    canvas.dataset.drawn = String(chart.data.labels.length);
  }
  const graph = document.getElementById("funnel-graph");
  if (graph) {
    drawGraph(graph, funnel.chart, {
      title: `Funnel of ${funnel.workflow} on its graph`,
      description:
        "Each box shows how many runs reached it (and how many failed or wait there); each " +
        "arrow how many runs took it. The table above has the same numbers.",
      badges: funnel.badges,
      edgeBadges: funnel.edge_badges,
    });
  }
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
