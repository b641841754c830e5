// Editing a workflow on its graph: selecting a node of the draft's graph (a click, or Enter
// on it) opens a panel with the step's form, generated from its type's JSON Schema
// (GET /api/step-types), its problems, and the edits: add a step after it or on one of its
// exits, remove it, move it up or down, connect an exit (or next) to a step or the end.
// Each edit goes to POST /api/workflows/{name}/draft/edit with the text of the textarea
// (so unsaved typing is kept), which saves the draft; the answer replaces the textarea's
// text and an `input` event on it lets the page redraw the graph and the problems.
//
//   mountStepEditor({ panel, editor, graph, name })
//     panel   the element the panel is drawn in (a region with a heading of its own)
//     editor  the <textarea> holding the draft's YAML
//     graph   the element the page draws the graph in (redrawn as the YAML changes)
//     name    the workflow's name
import { api } from "./api.js";
import { selectableNodes } from "./graph.js";

const TEXT_AREAS = new Set(["text", "question", "retry_message", "instructions", "body"]);
const ROUTING = new Set(["exits", "next"]); // the step's own fields come first in the form
let fields = 0;

function el(tag, attributes = {}, text) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes)) {
    if (key === "className") node.className = value;
    else node.setAttribute(key, value);
  }
  if (text !== undefined) node.textContent = text;
  return node;
}

/** What input a JSON Schema property needs: string, number, boolean, enum or json. */
function kindOf(property, defs) {
  let p = property || {};
  if (p.$ref) p = defs[p.$ref.split("/").pop()] || {};
  if (p.anyOf) {
    const kinds = p.anyOf.filter((x) => x.type !== "null");
    return kinds.length === 1 ? kindOf(kinds[0], defs) : { kind: "json" };
  }
  if (Array.isArray(p.enum)) return { kind: "enum", options: p.enum };
  if (p.type === "string") return { kind: "string" };
  if (p.type === "integer" || p.type === "number") return { kind: "number" };
  if (p.type === "boolean") return { kind: "boolean" };
  return { kind: "json" };
}

function select(label, options, id) {
  const wrap = el("div", { className: "field" });
  wrap.append(el("label", { for: id }, label));
  const box = el("select", { id });
  for (const [value, text] of options) box.append(el("option", { value }, text));
  wrap.append(box);
  return { wrap, box };
}

function button(text, onClick, label) {
  const node = el("button", { type: "button", className: "secondary small" }, text);
  if (label) node.setAttribute("aria-label", label);
  node.addEventListener("click", onClick);
  return node;
}

/** One form field for `name`; returns the row and a function reading its value. */
function field(name, property, required, defs, value) {
  fields += 1;
  const id = `step-field-${fields}`;
  const kind = kindOf(property, defs);
  const row = el("div", { className: "field step-field", "data-field": name });
  const label = el("label", { for: id }, required ? `${name} (required)` : name);
  let input;
  if (kind.kind === "boolean") {
    input = el("input", { id, type: "checkbox" });
    input.checked = value === undefined ? Boolean(property.default) : Boolean(value);
    row.append(input, label);
  } else {
    if (kind.kind === "enum") {
      input = el("select", { id });
      if (!required) input.append(el("option", { value: "" }, "(not set)"));
      for (const option of kind.options) input.append(el("option", { value: String(option) }, String(option)));
      input.value = value === undefined ? "" : String(value);
    } else if (kind.kind === "json") {
      input = el("textarea", { id, rows: "3", spellcheck: "false", className: "step-json" });
      input.value = value === undefined ? "" : JSON.stringify(value, null, 1);
    } else if (kind.kind === "string" && TEXT_AREAS.has(name)) {
      input = el("textarea", { id, rows: "3" });
      input.value = value === undefined || value === null ? "" : String(value);
    } else {
      input = el("input", { id, type: kind.kind === "number" ? "number" : "text" });
      if (kind.kind === "number") input.step = "any";
      input.value = value === undefined || value === null ? "" : String(value);
    }
    row.append(label, input);
  }
  if (property.description) {
    const hint = el("p", { className: "hint", id: `${id}-hint` }, property.description);
    input.setAttribute("aria-describedby", hint.id);
    row.append(hint);
  }
  const read = () => {
    if (kind.kind === "boolean") {
      return input.checked === Boolean(property.default) && value === undefined ? undefined : input.checked;
    }
    const raw = input.value;
    if (raw.trim() === "") return undefined;
    if (kind.kind === "number") return Number(raw);
    if (kind.kind !== "json") return raw;
    let parsed;
    try {
      parsed = JSON.parse(raw);
    } catch (error) {
      input.setCustomValidity("Write JSON, such as {\"answered\": \"thanks\"} or [\"a\"].");
      input.reportValidity();
      throw error;
    }
    input.setCustomValidity("");
    const empty = parsed !== null && typeof parsed === "object" && Object.keys(parsed).length === 0;
    return empty ? undefined : parsed;
  };
  return { row, read, input };
}

export function mountStepEditor({ panel, editor, graph, name }) {
  const path = `/api/workflows/${encodeURIComponent(name)}/draft/edit`;
  let types = null;
  let steps = [];
  let problems = [];
  let selected = null; // a step id, or "trigger"

  const status = el("p", { className: "muted", role: "status", tabindex: "-1" });
  const body = el("div", { className: "step-editor-body" });
  const intro = el("p", { className: "muted" },
    "Select a box of the graph (click it, or Tab to it and press Enter) to edit that step.");
  panel.append(intro, status, body);

  function mark() {
    const svg = graph.querySelector("svg");
    if (!svg) return;
    selectableNodes(svg, choose);
    const index = steps.findIndex((step) => step.id === selected);
    const key = selected === "trigger" ? "trigger" : index >= 0 ? `s${index}` : null;
    for (const node of svg.querySelectorAll("g.graph-node")) {
      node.classList.toggle("graph-selected", node.dataset.key === key);
    }
  }
  new MutationObserver(mark).observe(graph, { childList: true });

  async function load() {
    if (types === null) {
      const answer = await api("GET", "/api/step-types");
      types = Object.fromEntries(answer.step_types.map((t) => [t.name, t]));
    }
    const answer = await api("POST", "/api/workflows/steps", { yaml: editor.value, name });
    steps = answer.steps;
    problems = answer.problems;
  }

  async function choose(key) {
    try {
      await load();
    } catch (error) {
      status.textContent = `Could not read the draft: ${error.message}`;
      return;
    }
    if (key === "trigger") selected = "trigger";
    else if (/^s\d+$/.test(key) && steps[Number(key.slice(1))]) selected = steps[Number(key.slice(1))].id;
    else return; // the end has nothing to edit
    render(true);
  }

  async function edit(change) {
    const before = new Set(steps.map((s) => s.id));
    status.textContent = "Saving…";
    try {
      const answer = await api("POST", path, { yaml: editor.value, ...change });
      editor.value = answer.yaml;
      editor.dispatchEvent(new Event("input", { bubbles: true }));
      steps = answer.steps;
      problems = answer.problems;
    } catch (error) {
      status.textContent = `Not changed: ${error.message}`;
      return;
    }
    const count = problems.length;
    status.textContent = `Draft saved${count ? ` with ${count} problem${count === 1 ? "" : "s"}` : ""}.`;
    if (change.op === "add") {
      const added = steps.find((s) => !before.has(s.id));
      if (added) selected = added.id;
    }
    if (change.op === "remove") {
      selected = null;
      render(false);
      status.focus();
      return;
    }
    render(true);
  }

  function typePicker() {
    const options = Object.values(types).map((t) => [t.name, `${t.name}: ${t.summary}`]);
    return select("Type of the new step", options, "step-new-type");
  }

  function renderTrigger() {
    const heading = el("h3", { tabindex: "-1" }, "The trigger");
    const picker = typePicker();
    const buttons = el("div", { className: "builder-buttons" });
    buttons.append(button("Add first step", () => edit({ op: "add", step: { type: picker.box.value } })));
    body.replaceChildren(heading, picker.wrap, buttons);
    return heading;
  }

  function render(focus) {
    mark();
    if (selected === null || types === null) {
      body.replaceChildren();
      return;
    }
    if (selected === "trigger") {
      const heading = renderTrigger();
      if (focus) heading.focus();
      return;
    }
    const index = steps.findIndex((step) => step.id === selected);
    if (index < 0) {
      selected = null;
      body.replaceChildren(el("p", { className: "muted" }, "That step is gone."));
      return;
    }
    const step = steps[index];
    const type = types[step.type];
    const heading = el("h3", { tabindex: "-1" }, `Step ${step.id} (${step.type || "no type"})`);
    const mine = problems.filter((p) => p.where === `step ${step.id}`);
    const list = el("ul", { className: "step-problems", "aria-label": `Problems of step ${step.id}` });
    for (const p of mine) {
      list.append(el("li", { className: "notice error" }, `${p.file}: ${p.where}: ${p.field ? `${p.field}: ` : ""}${p.reason}`));
    }
    const parts = [heading];
    parts.push(mine.length ? list : el("p", { className: "builder-ok" }, "No problems in this step."));

    if (type) {
      const form = el("form", { className: "step-form", "aria-label": `Fields of step ${step.id}` });
      const schema = type.schema;
      const required = new Set(schema.required || []);
      const readers = [];
      const own = Object.entries(schema.properties || {}).filter(([key]) => !ROUTING.has(key));
      const routing = Object.entries(schema.properties || {}).filter(([key]) => ROUTING.has(key));
      for (const [key, property] of [...own, ...routing]) {
        if (key === "id" || key === "type") continue;
        const made = field(key, property, required.has(key), schema.$defs || {}, step.fields[key]);
        const wrong = mine.filter((p) => p.field.split(/[.[]/)[0] === key);
        if (wrong.length) {
          made.input.setAttribute("aria-invalid", "true");
          made.row.append(el("p", { className: "step-field-problem" }, wrong.map((p) => p.reason).join("; ")));
        }
        readers.push([key, made.read]);
        form.append(made.row);
      }
      const save = el("button", { type: "submit" }, "Save step");
      form.append(save);
      form.addEventListener("submit", (event) => {
        event.preventDefault();
        const values = { type: step.type };
        try {
          for (const [key, read] of readers) {
            const value = read();
            if (value !== undefined) values[key] = value;
          }
        } catch (error) {
          return;
        }
        edit({ op: "set", step_id: step.id, fields: values });
      });
      parts.push(form);
    } else {
      parts.push(el("p", { className: "muted" }, "Fix the type in the YAML to edit this step's fields."));
    }

    const actions = el("div", { className: "step-actions" });
    const picker = typePicker();
    const adding = el("div", { className: "builder-buttons" });
    adding.append(
      button("Add step after", () => edit({ op: "add", step: { type: picker.box.value }, after: step.id })),
    );
    const outcomes = type ? type.outcomes : [];
    let exitPick = null;
    if (outcomes.length) {
      exitPick = select("Exit", outcomes.map((o) => [o, o]), "step-exit");
      adding.append(
        button("Add step on exit", () =>
          edit({ op: "add", step: { type: picker.box.value }, after: step.id, exit: exitPick.box.value }),
        ),
      );
    }
    actions.append(picker.wrap);
    if (exitPick) actions.append(exitPick.wrap);
    actions.append(adding);

    const from = select("Connect", [["next", "next (where it goes by default)"], ...outcomes.map((o) => [o, `exit ${o}`])], "step-connect-outcome");
    const to = select("to", [...steps.filter((s) => s.id !== step.id).map((s) => [s.id, s.id]), ["end", "end (the run ends)"]], "step-connect-target");
    const connectRow = el("div", { className: "builder-buttons" });
    connectRow.append(button("Connect", () => edit({ op: "connect", step_id: step.id, outcome: from.box.value, target: to.box.value })));
    actions.append(from.wrap, to.wrap, connectRow);

    const moving = el("div", { className: "builder-buttons" });
    const up = button("Move up", () => edit({ op: "move", step_id: step.id, index: index - 1 }));
    const down = button("Move down", () => edit({ op: "move", step_id: step.id, index: index + 1 }));
    up.disabled = index === 0;
    down.disabled = index === steps.length - 1;
    const remove = button("Remove", () => edit({ op: "remove", step_id: step.id }), `Remove step ${step.id}`);
    remove.classList.add("danger");
    moving.append(up, down, remove);
    actions.append(moving);
    parts.push(actions);
    body.replaceChildren(...parts);
    if (focus) heading.focus();
  }

  mark();
}
