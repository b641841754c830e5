// The workflow editor (/console/workflows/{name}/edit): problems and the graph follow the
// YAML as it is typed (POST /api/workflows/validate, debounced), unsaved text is saved
// before publishing or replaying, and the preview chat talks to the draft through
// POST /api/workflows/preview (the session travels with each call; nothing is sent).
// Without this script the page's forms still save, discard, publish and replay.
import { api, embedded } from "../lib/api.js";
import { drawGraph } from "../lib/graph.js";
import { mountStepEditor } from "../lib/step_editor.js";

const DEBOUNCE_MS = 350;

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// ---- problems and graph -------------------------------------------------------------

function problemsTable(problems) {
  if (problems.length === 0) {
    return el("p", "builder-ok", "No problems: this draft can be published.");
  }
  const table = el("table", "stack builder-problems");
  const caption = el("caption", "visually-hidden", "Problems");
  const head = el("thead");
  const row = el("tr");
  for (const title of ["File", "Step", "Field", "Reason"]) row.append(el("th", "", title));
  head.append(row);
  const body = el("tbody");
  for (const problem of problems) {
    const line = el("tr");
    const cells = [
      ["File", problem.file, true],
      ["Step", problem.where, false],
      ["Field", problem.field, true],
      ["Reason", problem.reason, false],
    ];
    for (const [label, value, code] of cells) {
      const cell = el("td");
      cell.dataset.label = label;
      cell.append(code ? el("code", "", value) : document.createTextNode(value));
      line.append(cell);
    }
    body.append(line);
  }
  table.append(caption, head, body);
  return table;
}

function countText(n) {
  return n === 0 ? "(No problems)" : `(${n} problem${n === 1 ? "" : "s"})`;
}

function drawChart(container, chart, name) {
  if (chart && Array.isArray(chart.nodes) && chart.nodes.length) {
    drawGraph(container, chart, { title: `The graph of the draft of ${name}` });
  } else {
    container.replaceChildren(el("p", "muted", "No graph while the draft cannot be read."));
  }
}

function startChecking(editor, name) {
  const problems = document.getElementById("draft-problems");
  const count = document.getElementById("problem-count");
  const graph = document.getElementById("draft-graph");
  const note = document.getElementById("draft-graph-note");
  drawChart(graph, embedded("draft-chart"), name);
  let timer = null;
  let asked = 0;
  async function validate() {
    asked += 1;
    const mine = asked;
    try {
      const answer = await api("POST", "/api/workflows/validate", { yaml: editor.value, name });
      if (mine !== asked) return; // a newer check is on its way
      problems.replaceChildren(problemsTable(answer.problems));
      count.textContent = countText(answer.problems.length);
      if (answer.chart) {
        drawChart(graph, answer.chart, name);
        note.hidden = true;
      } else if (graph.querySelector("svg")) {
        note.hidden = false; // keep the last graph while the text cannot be read
      } else {
        drawChart(graph, null, name);
      }
    } catch (error) {
      if (mine !== asked) return;
      problems.replaceChildren(el("p", "notice error", `Not checked: ${error.message}`));
    }
  }
  editor.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(validate, DEBOUNCE_MS);
  });
}

// ---- saving before publishing or replaying -----------------------------------------

function startSaving(editor, name) {
  const state = document.getElementById("draft-state");
  let saved = editor.value;
  const dirty = () => editor.value !== saved;
  editor.addEventListener("input", () => {
    if (dirty()) state.textContent = "Unsaved changes: Save draft (Ctrl+S) keeps them.";
  });
  editor.addEventListener("draft-saved", () => {
    saved = editor.value; // an edit on the graph saved it
    state.textContent = "";
  });
  editor.addEventListener("keydown", (event) => {
    if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "s") {
      event.preventDefault();
      document.getElementById("draft-form").requestSubmit();
    }
  });
  // Publishing and replaying act on the saved draft: save what is typed first.
  for (const id of ["publish-form", "replay-form"]) {
    const form = document.getElementById(id);
    if (!form) continue;
    form.addEventListener("submit", async (event) => {
      if (!dirty()) return;
      event.preventDefault();
      try {
        await api("PUT", `/api/workflows/${encodeURIComponent(name)}/draft`, {
          yaml: editor.value,
        });
        saved = editor.value;
        form.submit();
      } catch (error) {
        state.textContent = `Not saved: ${error.message}`;
      }
    });
  }
}

// ---- the preview chat ---------------------------------------------------------------

function startPreview(editor) {
  const chat = document.getElementById("preview-chat");
  if (!chat) return;
  document.getElementById("preview-needs-script").hidden = true;
  chat.hidden = false;
  const lines = document.getElementById("preview-lines");
  const choices = document.getElementById("preview-choices");
  const sayForm = document.getElementById("preview-say");
  const sayInput = document.getElementById("preview-text");
  const skip = document.getElementById("preview-skip");
  const restart = document.getElementById("preview-restart");
  const exampleForm = document.getElementById("preview-example");
  const exampleList = document.getElementById("preview-examples");
  const examples = {};
  let session = null;

  function add(kind, text) {
    const item = el("li", `preview-line preview-${kind}`);
    const who = { bot: "Bot", note: "Note", error: "Error", visitor: "You" }[kind] || kind;
    item.append(el("span", "preview-who", `${who}: `), el("span", "preview-text", text));
    lines.append(item);
    item.scrollIntoView({ block: "nearest" });
  }

  function offer(labels) {
    choices.replaceChildren();
    for (const label of labels) {
      const button = el("button", "secondary small", label);
      button.type = "button";
      button.addEventListener("click", () => turn({ say: label }, label));
      choices.append(button);
    }
  }

  async function turn(body, said) {
    if (said) add("visitor", said);
    const request = { yaml: editor.value, examples, ...body };
    if (session) request.session = session;
    try {
      const answer = await api("POST", "/api/workflows/preview", request);
      session = answer.session;
      let offered = [];
      for (const line of answer.lines) {
        add(line.kind, line.text);
        if (line.choices && line.choices.length) offered = line.choices;
      }
      offer(answer.can_answer ? offered : []);
      skip.disabled = !answer.can_skip;
    } catch (error) {
      add("error", error.message);
    }
  }

  sayForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = sayInput.value.trim();
    if (!text) return;
    sayInput.value = "";
    turn({ say: text }, text);
  });
  skip.addEventListener("click", () => {
    if (session) turn({ skip: true });
  });
  restart.addEventListener("click", () => {
    session = null;
    lines.replaceChildren();
    offer([]);
    skip.disabled = true;
    turn({});
  });

  function listExamples() {
    exampleList.replaceChildren();
    for (const [action, example] of Object.entries(examples)) {
      const item = el("li");
      item.append(el("span", "", `${action}: ${example.outcome} ${JSON.stringify(example.data)}`));
      const remove = el("button", "secondary small", "Remove");
      remove.type = "button";
      remove.setAttribute("aria-label", `Remove the example of ${action}`);
      remove.addEventListener("click", () => {
        delete examples[action];
        listExamples();
      });
      item.append(remove);
      exampleList.append(item);
    }
  }

  exampleForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = exampleForm.elements.data;
    let parsed;
    try {
      parsed = JSON.parse(data.value || "{}");
    } catch (error) {
      parsed = undefined;
    }
    if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
      data.setCustomValidity("Write a JSON object, such as {\"status\": \"shipped\"}.");
      data.reportValidity();
      return;
    }
    data.setCustomValidity("");
    const action = exampleForm.elements.action.value.trim();
    examples[action] = { outcome: exampleForm.elements.outcome.value, data: parsed };
    listExamples();
  });
  exampleForm.elements.data.addEventListener("input", (event) =>
    event.target.setCustomValidity(""),
  );
}

function start() {
  const editor = document.getElementById("draft-yaml");
  if (!editor) return;
  const name = editor.dataset.name || "";
  startChecking(editor, name);
  startSaving(editor, name);
  startPreview(editor);
  mountStepEditor({
    panel: document.getElementById("step-editor"),
    editor,
    graph: document.getElementById("draft-graph"),
    name,
  });
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
