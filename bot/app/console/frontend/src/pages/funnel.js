// The funnel page: the runs that reached each step as a horizontal bar chart (Chart.js),
// and the same numbers as badges on the workflow's graph (lib/graph.js). The page's table
// has every number too; this script only draws them.

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

function start() {
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
