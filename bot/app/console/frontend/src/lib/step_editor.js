// Editing a workflow on its graph: selecting a node of the draft's graph (a click, or Enter
// on it) opens a panel with the step's form, generated from its type's JSON Schema
// (GET /api/step-types), its problems, and the edits: add a step after it or on one of its
// exits, remove it, move it up or down, connect an exit (or next) to a step or the end.
// Each edit goes to POST /api/workflows/{name}/draft/edit with the text of the textarea
// (so unsaved typing is kept), which saves the draft; the answer replaces the textarea's
// text and an `input` event on it lets the page redraw the graph and the problems; then a
// `draft-saved` event on it says that this text is the saved draft.
//
//   mountStepEditor({ panel, editor, graph, name })
//     panel   the element the panel is drawn in (a region with a heading of its own,
//             hidden until this shows it)
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

function row(...children) {
  const line = el("div", { className: "builder-buttons" });
  line.append(...children);
  return line;
}

function button(text, onClick, label) {
  const node = el("button", { type: "button", className: "secondary small" }, text);
  if (label) node.setAttribute("aria-label", label);
  node.addEventListener("click", onClick);
  return node;
}

/** A labelled <select> of [value, text] options. */
function picker(label, options, id) {
  const wrap = el("div", { className: "field" });
  const box = el("select", { id });
  for (const [value, text] of options) box.append(el("option", { value }, text));
  wrap.append(el("label", { for: id }, label), box);
  return { wrap, box };
}

/** What input a JSON Schema property needs: string, number, boolean, enum or json. */
function kindOf(property, defs) {
  let p = property || {};
  if (p.$ref) p = { default: p.default, ...(defs[p.$ref.split("/").pop()] || {}) };
  if (p.anyOf) {
    const kinds = p.anyOf.filter((x) => x.type !== "null");
    return kinds.length === 1 ? kindOf(kinds[0], defs) : { kind: "json" };
  }
  if (Array.isArray(p.enum)) return { kind: "enum", options: p.enum, default: p.default };
  if (p.type === "string") return { kind: "string" };
  if (p.type === "integer" || p.type === "number") return { kind: "number" };
  if (p.type === "boolean") return { kind: "boolean" };
  return { kind: "json" };
}

function inputFor(kind, name, id, required, value) {
  const shown = value === undefined || value === null ? "" : value;
  let input;
  if (kind.kind === "enum") {
    input = el("select", { id });
    const unset = kind.default === undefined ? "(not set)" : `(default: ${kind.default})`;
    if (!required) input.append(el("option", { value: "" }, unset));
    for (const option of kind.options) {
      input.append(el("option", { value: String(option) }, String(option)));
    }
    input.value = String(shown);
  } else if (kind.kind === "json") {
    input = el("textarea", { id, rows: "3", spellcheck: "false", className: "step-json" });
    input.value = shown === "" ? "" : JSON.stringify(shown, null, 1);
  } else if (kind.kind === "string" && TEXT_AREAS.has(name)) {
    input = el("textarea", { id, rows: "3" });
    input.value = String(shown);
  } else {
    input = el("input", { id, type: kind.kind === "number" ? "number" : "text" });
    if (kind.kind === "number") input.step = "any";
    input.value = String(shown);
  }
  return input;
}

function readJson(input) {
  let parsed;
  try {
    parsed = JSON.parse(input.value);
  } catch (error) {
    input.setCustomValidity('Write JSON, such as {"answered": "thanks"} or ["a", "b"].');
    input.reportValidity();
    throw error;
  }
  input.setCustomValidity("");
  const empty = parsed !== null && typeof parsed === "object" && !Object.keys(parsed).length;
  return empty ? undefined : parsed;
}

/** One form field for `name`: its row, its input and a function reading its value
 * (undefined when left empty, so the YAML gets no key for it). */
function field(name, property, required, defs, value) {
  fields += 1;
  const id = `step-field-${fields}`;
  const kind = kindOf(property, defs);
  const line = el("div", { className: "field step-field", "data-field": name });
  const label = el("label", { for: id }, required ? `${name} (required)` : name);
  let input;
  if (kind.kind === "boolean") {
    input = el("input", { id, type: "checkbox" });
    input.checked = value === undefined ? Boolean(property.default) : Boolean(value);
    line.append(input, label);
  } else {
    input = inputFor(kind, name, id, required, value);
    line.append(label, input);
  }
  if (property.description) {
    const hint = el("p", { className: "hint", id: `${id}-hint` }, property.description);
    input.setAttribute("aria-describedby", hint.id);
    line.append(hint);
  }
  const read = () => {
    if (kind.kind === "boolean") {
      const unchanged = value === undefined && input.checked === Boolean(property.default);
      return unchanged ? undefined : input.checked;
    }
    if (input.value.trim() === "") return undefined;
    if (kind.kind === "number") return Number(input.value);
    return kind.kind === "json" ? readJson(input) : input.value;
  };
  return { line, input, read };
}

function problemText(p) {
  return `${p.file}: ${p.where}: ${p.field ? `${p.field}: ` : ""}${p.reason}`;
}

export function mountStepEditor({ panel, editor, graph, name }) {
  if (!panel || !editor || !graph) return;
  panel.hidden = false; // the page keeps it hidden for browsers without scripts
  const path = `/api/workflows/${encodeURIComponent(name)}/draft/edit`;
  let types = null;
  let steps = [];
  let problems = [];
  let selected = null; // a step id, or "trigger"

  const intro = "Select a box of the graph (click it, or Tab to it and press Enter) or pick a"
    + " step here to edit it.";
  const status = el("p", { className: "muted", role: "status", tabindex: "-1" });
  const body = el("div", { className: "step-editor-body" });
  const chooser = picker("Step to edit", [], "step-choice");
  const open = button("Edit step", () => choose(chooser.box.value));
  const choosing = el("div", { className: "step-chooser" });
  choosing.append(chooser.wrap, row(open));
  panel.append(el("p", { className: "muted" }, intro), choosing, status, body);

  /** The nodes of the graph, in order, as the choices of the picker (the end is no step). */
  function listNodes(svg) {
    const current = chooser.box.value;
    chooser.box.replaceChildren();
    for (const node of svg.querySelectorAll("g.graph-node")) {
      if (node.dataset.key === "done") continue;
      const words = [...node.querySelectorAll("tspan")].map((span) => span.textContent);
      const text = node.dataset.key === "trigger" ? `trigger: ${words.join(" ")}` : words.join(" ");
      chooser.box.append(el("option", { value: node.dataset.key }, text));
    }
    if ([...chooser.box.options].some((option) => option.value === current)) {
      chooser.box.value = current;
    }
  }

  function mark() {
    const svg = graph.querySelector("svg");
    if (!svg) return;
    selectableNodes(svg, choose);
    listNodes(svg);
    const index = steps.findIndex((step) => step.id === selected);
    const key = selected === "trigger" ? "trigger" : index >= 0 ? `s${index}` : null;
    for (const node of svg.querySelectorAll("g.graph-node")) {
      node.classList.toggle("graph-selected", node.dataset.key === key);
    }
    if (key) chooser.box.value = key;
  }
  new MutationObserver(mark).observe(graph, { childList: true });

  async function choose(key) {
    try {
      if (types === null) {
        const answer = await api("GET", "/api/step-types");
        types = Object.fromEntries(answer.step_types.map((t) => [t.name, t]));
      }
      ({ steps, problems } = await api("POST", "/api/workflows/steps", {
        yaml: editor.value,
        name,
      }));
    } catch (error) {
      status.textContent = `Could not read the draft: ${error.message}`;
      return;
    }
    const step = /^s\d+$/.test(key) ? steps[Number(key.slice(1))] : null;
    if (key === "trigger") selected = "trigger";
    else if (step) selected = step.id;
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
      editor.dispatchEvent(new CustomEvent("draft-saved", { detail: { yaml: answer.yaml } }));
      ({ steps, problems } = answer);
    } catch (error) {
      status.textContent = `Not changed: ${error.message}`;
      return;
    }
    const count = problems.length;
    const noted = count ? ` with ${count} problem${count === 1 ? "" : "s"}` : "";
    status.textContent = `Draft saved${noted}.`;
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
    return picker("Type of the new step", options, "step-new-type");
  }

  function triggerPanel() {
    const heading = el("h3", { tabindex: "-1" }, "The trigger");
    const type = typePicker();
    const add = () => edit({ op: "add", step: { type: type.box.value } });
    body.replaceChildren(heading, type.wrap, row(button("Add first step", add)));
    return heading;
  }

  function fieldsForm(step, type, mine) {
    const label = `Fields of step ${step.id}`;
    const form = el("form", { className: "step-form", "aria-label": label });
    const { schema } = type;
    const required = new Set(schema.required || []);
    const properties = Object.entries(schema.properties || {});
    const ordered = [
      ...properties.filter(([key]) => !ROUTING.has(key)),
      ...properties.filter(([key]) => ROUTING.has(key)),
    ];
    const readers = [];
    for (const [key, property] of ordered) {
      if (key === "id" || key === "type") continue;
      const made = field(key, property, required.has(key), schema.$defs || {}, step.fields[key]);
      const wrong = mine.filter((p) => p.field.split(/[.[]/)[0] === key);
      if (wrong.length) {
        made.input.setAttribute("aria-invalid", "true");
        const reasons = wrong.map((p) => p.reason).join("; ");
        made.line.append(el("p", { className: "step-field-problem" }, reasons));
      }
      readers.push([key, made.read]);
      form.append(made.line);
    }
    form.append(el("button", { type: "submit" }, "Save step"));
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const values = { type: step.type };
      try {
        for (const [key, read] of readers) {
          const value = read();
          if (value !== undefined) values[key] = value;
        }
      } catch (error) {
        return; // the field says what is wrong
      }
      edit({ op: "set", step_id: step.id, fields: values });
    });
    return form;
  }

  function group(legend, ...children) {
    const set = el("fieldset", { className: "step-group" });
    set.append(el("legend", {}, legend), ...children);
    return set;
  }

  function actions(step, index, outcomes) {
    const type = typePicker();
    const newStep = () => ({ type: type.box.value });
    const adding = group("Add a step", type.wrap);
    const buttons = row(
      button("Add step after", () => edit({ op: "add", step: newStep(), after: step.id })),
    );
    if (outcomes.length) {
      const exit = picker("On exit", outcomes.map((o) => [o, o]), "step-exit");
      const onExit = () =>
        edit({ op: "add", step: newStep(), after: step.id, exit: exit.box.value });
      buttons.append(button("Add step on exit", onExit));
      adding.append(exit.wrap);
    }
    adding.append(buttons);

    const ways = [["next", "next (where it goes by default)"]];
    const from = picker("Connect", [...ways, ...outcomes.map((o) => [o, `exit ${o}`])], "step-from");
    const targets = steps.filter((s) => s.id !== step.id).map((s) => [s.id, s.id]);
    const to = picker("to", [...targets, ["end", "end (the run ends)"]], "step-to");
    const connect = () =>
      edit({ op: "connect", step_id: step.id, outcome: from.box.value, target: to.box.value });
    const connecting = group("Where it goes", from.wrap, to.wrap, row(button("Connect", connect)));

    const up = button("Move up", () => edit({ op: "move", step_id: step.id, index: index - 1 }));
    const down = button("Move down", () =>
      edit({ op: "move", step_id: step.id, index: index + 1 }),
    );
    up.disabled = index === 0;
    down.disabled = index === steps.length - 1;
    const remove = button(
      "Remove",
      () => edit({ op: "remove", step_id: step.id }),
      `Remove step ${step.id}`,
    );
    remove.classList.add("danger");
    const box = el("div", { className: "step-actions" });
    box.append(adding, connecting, group("Place", row(up, down, remove)));
    return box;
  }

  function stepPanel(step, index) {
    const type = types[step.type];
    const heading = el("h3", { tabindex: "-1" }, `Step ${step.id} (${step.type || "no type"})`);
    const mine = problems.filter((p) => p.where === `step ${step.id}`);
    const parts = [heading];
    if (mine.length) {
      const label = `Problems of step ${step.id}`;
      const list = el("ul", { className: "step-problems", "aria-label": label });
      for (const p of mine) list.append(el("li", { className: "notice error" }, problemText(p)));
      parts.push(list);
    } else {
      parts.push(el("p", { className: "builder-ok" }, "No problems in this step."));
    }
    if (type) parts.push(fieldsForm(step, type, mine));
    else parts.push(el("p", { className: "muted" }, "Fix the type in the YAML to edit it here."));
    parts.push(actions(step, index, type ? type.outcomes : []));
    body.replaceChildren(...parts);
    return heading;
  }

  function render(focus) {
    mark();
    if (selected === null || types === null) {
      body.replaceChildren();
      return;
    }
    const index = steps.findIndex((step) => step.id === selected);
    if (selected !== "trigger" && index < 0) {
      selected = null;
      body.replaceChildren(el("p", { className: "muted" }, "That step is gone."));
      return;
    }
    const heading = selected === "trigger" ? triggerPanel() : stepPanel(steps[index], index);
    if (focus) heading.focus();
  }

  mark();
}
