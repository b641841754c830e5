// The workflow page: draws the embedded chart (#workflow-chart) as a laid-out graph into
// #workflow-graph and folds away the plain list of steps the page shows without scripts.
import { embedded } from "../lib/api.js";
import { drawGraph } from "../lib/graph.js";

function start() {
  const chart = embedded("workflow-chart");
  const container = document.getElementById("workflow-graph");
  if (!chart || !container) return;
  const name = container.dataset.name || "workflow";
  drawGraph(container, chart, {
    title: `The graph of ${name}`,
  });
  container.hidden = false;
  const steps = document.getElementById("workflow-steps");
  if (steps) steps.open = false;
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
