"""The console's one stylesheet, served from ``/console/console.css`` (no CDN, no web
fonts): system fonts, AA contrast, a visible focus ring, a sidebar that becomes a top bar
on a phone."""

CSS = """
:root { color-scheme: light; --ink: #1b1f24; --muted: #4a5360; --line: #d0d7de;
  --accent: #0b57d0; --accent-ink: #ffffff; --bg: #f6f8fa; --panel: #ffffff;
  --ok: #116329; --off: #6e4a00; --danger: #a40e26; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--ink); background: var(--bg); }
a { color: var(--accent); }
:focus-visible { outline: 3px solid #f2a900; outline-offset: 2px; }
.skip { position: absolute; left: -999px; top: 0; background: var(--panel); padding: .5rem; }
.skip:focus { left: .5rem; z-index: 10; }
.shell { display: grid; grid-template-columns: 14rem minmax(0, 1fr); min-height: 100vh; }
.sidebar { background: #1b1f24; color: #f0f3f6; padding: 1rem; display: flex;
  flex-direction: column; gap: 1rem; }
.sidebar .brand { font-weight: 700; font-size: 1.1rem; }
.sidebar nav ul { list-style: none; margin: 0; padding: 0; display: flex;
  flex-direction: column; gap: .25rem; }
.sidebar nav a { color: #f0f3f6; text-decoration: none; display: block; padding: .5rem .75rem;
  border-radius: 6px; }
.sidebar nav a:hover { background: #32383f; }
.sidebar nav a[aria-current="page"] { background: #32383f; font-weight: 600; }
.whoami { margin-top: auto; font-size: .9rem; color: #c9d1d9; word-break: break-all; }
.whoami button { margin-top: .5rem; }
main { padding: 1.5rem; max-width: 72rem; width: 100%; min-width: 0; }
h1 { font-size: 1.5rem; margin: 0 0 1rem; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 8px;
  padding: 1rem; overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .5rem .75rem; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { font-size: .85rem; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: .9rem; }
.state-on { color: var(--ok); font-weight: 600; }
.state-off { color: var(--off); font-weight: 600; }
button, .button { font: inherit; border: 1px solid var(--accent); background: var(--accent);
  color: var(--accent-ink); border-radius: 6px; padding: .4rem .9rem; cursor: pointer;
  min-height: 2.5rem; }
button.secondary { background: var(--panel); color: var(--accent); }
button.danger { background: var(--panel); color: var(--danger); border-color: var(--danger); }
label { display: block; font-weight: 600; margin-bottom: .25rem; }
input, select { font: inherit; padding: .45rem .6rem; border: 1px solid #8c959f;
  border-radius: 6px; width: 100%; min-height: 2.5rem; background: #fff; color: var(--ink); }
.field { margin-bottom: 1rem; }
.filters { display: grid; grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr));
  gap: .75rem; align-items: end; margin-bottom: 1rem; }
.filters .field { margin: 0; }
.notice { border-left: 4px solid var(--accent); background: #eef4ff; padding: .6rem .9rem;
  margin-bottom: 1rem; border-radius: 4px; }
.error { border-left-color: var(--danger); background: #fff0f1; }
.sign-in { max-width: 24rem; margin: 10vh auto; padding: 0 1rem; }
.sign-in .panel { padding: 1.5rem; }
.sign-in h1 { text-align: center; }
.sign-in button { width: 100%; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden;
  clip: rect(0 0 0 0); white-space: nowrap; }
.muted { color: var(--muted); }
.pager { margin-top: 1rem; }
@media (max-width: 700px) {
  .shell { grid-template-columns: minmax(0, 1fr); }
  .sidebar { flex-direction: row; flex-wrap: wrap; align-items: center; padding: .75rem; }
  .sidebar nav ul { flex-direction: row; flex-wrap: wrap; }
  .whoami { margin: 0; width: 100%; display: flex; gap: .75rem; align-items: center;
    justify-content: space-between; }
  .whoami button { margin: 0; }
  main { padding: 1rem; }
  table.stack thead { display: none; }
  table.stack tr { display: block; border-bottom: 1px solid var(--line); padding: .5rem 0; }
  table.stack td { display: flex; gap: .75rem; border: 0; padding: .2rem .25rem;
    overflow-wrap: anywhere; min-width: 0; }
  table.stack td::before { content: attr(data-label); font-weight: 600; min-width: 6rem;
    color: var(--muted); }
}

/* workflow pages: the list's last error, one workflow (graph, YAML, versions), the diff */
.last-error { max-width: 18rem; overflow-wrap: anywhere; }
.workflow-facts { display: flex; flex-wrap: wrap; gap: .5rem 2rem; margin: 0 0 1rem; }
.workflow-facts dt { font-size: .85rem; color: var(--muted); }
.workflow-facts dd { margin: 0; font-weight: 600; }
.workflow-toggle { display: inline-block; margin-left: .75rem; }
.workflow-sections { display: grid; gap: 1rem; }
.workflow-sections h2 { font-size: 1.15rem; margin: 0 0 .75rem; }
.workflow-sections h3 { font-size: 1rem; margin: 1.25rem 0 .5rem; }
.workflow-graph { overflow-x: auto; border: 1px solid var(--line);
  border-radius: 6px; background: #fbfcfd; margin-bottom: .75rem; }
.workflow-steps { margin: .5rem 0 0; padding-left: 1.5rem; }
.workflow-steps ul { margin: .1rem 0 .4rem; padding-left: 1.25rem; color: var(--muted);
  font-size: .9rem; }
pre.yaml { margin: 0; padding: .75rem; background: #f6f8fa; border-radius: 6px;
  overflow: auto; max-height: 32rem; line-height: 1.4; }
.versions tr.current-version td { background: #eef8f0; }
.versions form { margin: 0; }
.compare { grid-template-columns: repeat(auto-fit, minmax(8rem, 12rem)); }
.diff-summary { color: var(--muted); }
table.diff { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
  font-size: .85rem; }
table.diff td { padding: .1rem .5rem; border: 0; white-space: pre-wrap;
  overflow-wrap: anywhere; }
table.diff code { font-size: inherit; }
table.diff .diff-no { color: var(--muted); text-align: right; width: 3.5rem;
  user-select: none; }
table.diff .diff-sign { width: 1.5rem; font-weight: 700; text-align: center; }
tr.diff-added td { background: #e6ffec; }
tr.diff-added .diff-sign { color: var(--ok); }
tr.diff-removed td { background: #ffebe9; }
tr.diff-removed .diff-sign { color: var(--danger); }
tr.diff-hunk td { background: #eef4ff; color: var(--muted); padding: .3rem .5rem; }
svg.graph { display: block; margin: 0 auto; max-width: none; }
svg.graph text { font: 13px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  fill: var(--ink); }
svg.graph .graph-box { fill: #ffffff; stroke: #57606a; stroke-width: 1.5; }
svg.graph .graph-terminal .graph-box { fill: #eef4ff; stroke: var(--accent); }
svg.graph .graph-decision .graph-box { fill: #fff8e5; stroke: #9a6700; }
svg.graph .graph-line { fill: none; stroke: #57606a; stroke-width: 1.4; }
svg.graph .graph-dashed .graph-line { stroke-dasharray: 5 4; stroke: #6e7781; }
svg.graph .graph-arrow { fill: #57606a; }
svg.graph .graph-label-back { fill: #fbfcfd; opacity: .92; }
svg.graph .graph-edge-text { fill: var(--muted); font-size: 12px; }
svg.graph .graph-badge rect { fill: var(--accent); }
svg.graph .graph-badge text { fill: #ffffff; font-size: 11px; font-weight: 600; }

/* inbox: the list, a conversation's transcript (each author named in words, a note also
   boxed and labelled), the reply and note forms, the actions beside them */
.notify-bar { display: flex; flex-wrap: wrap; gap: .75rem; align-items: center;
  margin-bottom: 1rem; }
.tag { display: inline-block; border: 1px solid var(--line); border-radius: 999px;
  padding: 0 .55rem; font-size: .85rem; background: #f6f8fa; }
.inbox-list .preview { max-width: 24rem; overflow-wrap: anywhere; }
.conversation-facts { display: flex; flex-wrap: wrap; gap: .5rem 2rem; margin: 0 0 1rem; }
.conversation-facts dt { font-size: .85rem; color: var(--muted); }
.conversation-facts dd { margin: 0; font-weight: 600; }
.conversation-layout { display: grid; grid-template-columns: minmax(0, 1fr) 18rem;
  gap: 1rem; align-items: start; }
.conversation-layout > div { display: grid; gap: 1rem; min-width: 0; }
.conversation-layout h2, .conversation-layout h3 { font-size: 1.05rem; margin: 0 0 .5rem; }
.transcript { list-style: none; margin: 0; padding: 0; display: grid; gap: .6rem;
  max-height: 60vh; overflow-y: auto; }
.msg { border: 1px solid var(--line); border-radius: 8px; padding: .5rem .75rem;
  max-width: 80%; overflow-wrap: anywhere; }
.msg-head { font-size: .85rem; color: var(--muted); }
.msg-head strong { color: var(--ink); }
.msg-text { white-space: pre-wrap; }
.msg--customer { justify-self: start; background: #ffffff; }
.msg--bot, .msg--system { justify-self: end; background: #f6f8fa; }
.msg--agent { justify-self: end; background: #eef4ff; border-color: #9dbcf5; }
.msg--note { justify-self: stretch; max-width: none; background: #fff8e5;
  border: 2px dashed #9a6700; }
.compose { display: grid; gap: .4rem; margin-bottom: 1rem; }
.compose:last-child { margin-bottom: 0; }
.compose label { margin: 0; }
.compose button { justify-self: start; }
textarea { font: inherit; padding: .45rem .6rem; border: 1px solid #8c959f;
  border-radius: 6px; width: 100%; background: #fff; color: var(--ink); resize: vertical; }
.inbox-actions { display: flex; flex-wrap: wrap; gap: .5rem; margin-bottom: 1rem; }
.inbox-actions form { margin: 0; }
.inline-form { display: grid; gap: .4rem; margin-bottom: 1rem; }
.inline-form label { margin: 0; }
.inline-form button { justify-self: start; }
.tag-list { list-style: none; margin: 0 0 .75rem; padding: 0; display: grid; gap: .4rem; }
.tag-list li { display: flex; align-items: center; justify-content: space-between;
  gap: .5rem; }
.tag-list form { margin: 0; }
button.small { min-height: 2rem; padding: .15rem .6rem; font-size: .85rem; }
@media (max-width: 900px) {
  .conversation-layout { grid-template-columns: minmax(0, 1fr); }
  .msg { max-width: 100%; }
}
/* contacts: a contact's profile, export and erase; agents and teams */
.contact-sections { display: grid; gap: 1rem; }
.contact-sections h2, .teams h3 { font-size: 1.1rem; margin: 0 0 .75rem; }
.contact-facts { display: grid; grid-template-columns: max-content minmax(0, 1fr);
  gap: .35rem 1.5rem; margin: 0; }
.contact-facts dt { color: var(--muted); }
.contact-facts dd { margin: 0; overflow-wrap: anywhere; }
.danger-zone { border-left: 4px solid var(--danger); }
.erase-form { max-width: 28rem; }
.stage { display: inline-block; padding: .05rem .5rem; border-radius: 999px;
  background: #eef4ff; border: 1px solid #9dbcf5; }
.teams { display: grid; gap: 1rem; grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr));
  margin-bottom: 1rem; }
.team-members { list-style: none; margin: 0 0 1rem; padding: 0; display: grid; gap: .4rem; }
.team-members li { display: flex; align-items: center; justify-content: space-between;
  gap: .5rem; }
.team-members form { margin: 0; }
.agent-form { display: grid; gap: 0 1rem; grid-template-columns: repeat(auto-fit,
  minmax(14rem, 1fr)); align-items: end; }
.agent-form button { justify-self: start; }
.field.checkbox { display: flex; align-items: center; gap: .5rem; }
.field.checkbox input { width: auto; }
.field.checkbox label { margin: 0; }
details.panel summary { cursor: pointer; font-weight: 600; margin-bottom: .75rem; }
details.panel { margin-top: .75rem; }
details.panel summary:only-child, details.panel:not([open]) summary { margin-bottom: 0; }
/* runs: the runs list, a run's log, a workflow's funnel */
.run-status { display: inline-block; padding: .05rem .5rem; border-radius: 999px;
  font-size: .85rem; font-weight: 600; border: 1px solid var(--line); background: #f6f8fa; }
.run-finished { color: var(--ok); border-color: #8fd19e; background: #eef8f0; }
.run-failed { color: var(--danger); border-color: #f2a7b2; background: #fff0f1; }
.run-waiting { color: var(--off); border-color: #e5c07b; background: #fff8e6; }
.run-running { color: var(--accent); border-color: #9dbcf5; background: #eef4ff; }
.run-error-text { color: var(--danger); overflow-wrap: anywhere; }
pre.run-error { margin: .25rem 0; padding: .6rem .75rem; background: #fff0f1;
  border-left: 4px solid var(--danger); border-radius: 4px; color: var(--ink);
  white-space: pre-wrap; overflow-wrap: anywhere; }
.run-timeline { list-style: none; margin: 0; padding: 0; }
.run-line { border-left: 3px solid var(--line); padding: .4rem 0 .6rem .9rem; }
.run-line.run-step { border-left-color: var(--accent); }
.run-line.run-condition { border-left-color: #8250df; }
.run-line.run-error { border-left-color: var(--danger); }
.run-line.run-trigger { border-left-color: var(--ok); }
.run-head { margin: 0; display: flex; flex-wrap: wrap; gap: .25rem .6rem; align-items: baseline; }
.run-kind { font-weight: 600; }
.run-message, .run-facts { margin: .2rem 0; overflow-wrap: anywhere; }
.run-facts { color: var(--muted); font-size: .9rem; }
table.checks { margin: .3rem 0; font-size: .9rem; }
table.checks td, table.checks th { padding: .3rem .5rem; }
table.checks code, .run-data code { overflow-wrap: anywhere; }
.run-data { display: grid; grid-template-columns: max-content minmax(0, 1fr);
  gap: .2rem 1rem; margin: .3rem 0; }
.run-data dt { color: var(--muted); }
.run-data dd { margin: 0; }
.run-skipped { margin: 0 0 1rem; padding-left: 1.25rem; }
.funnel-presets { display: flex; flex-wrap: wrap; gap: .5rem; margin: 0 0 .75rem; }
.funnel-presets a { padding: .3rem .8rem; border: 1px solid var(--accent); border-radius: 999px;
  text-decoration: none; }
.funnel-presets a[aria-current="true"] { background: var(--accent); color: var(--accent-ink); }
.funnel-table .num { text-align: right; font-variant-numeric: tabular-nums; }
.funnel-table caption { text-align: left; color: var(--muted); padding: 0 0 .5rem; }
.funnel-table tbody th { text-transform: none; letter-spacing: 0; font-size: 1rem;
  color: var(--ink); }
table.runs td.run-id { white-space: nowrap; }
.funnel-exits { margin: 0; padding-left: 1rem; }
.funnel-chart { position: relative; width: 100%; min-height: 10rem; }
.run-section h2 { font-size: 1.15rem; margin: 0 0 .75rem; }
/* the workflow builder: editor, problems, graph, publish, replay, preview chat */
.builder-layout { display: grid; grid-template-columns: minmax(0, 1.1fr) minmax(0, 1fr);
  gap: 1rem; margin-bottom: 1rem; align-items: start; }
@media (max-width: 60rem) { .builder-layout { grid-template-columns: minmax(0, 1fr); } }
.builder-layout h2 { font-size: 1.1rem; margin: 0 0 .5rem; }
.builder-check h2 + div { margin-bottom: 1rem; }
textarea.yaml-editor { width: 100%; box-sizing: border-box; min-height: 28rem; resize: vertical;
  font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: .9rem;
  line-height: 1.45; tab-size: 2; white-space: pre; overflow-wrap: normal; }
.builder-buttons { display: flex; flex-wrap: wrap; gap: .5rem; margin-top: .5rem; }
.builder-discard { margin-top: .5rem; }
.builder-ok { color: var(--ok); font-weight: 600; }
.builder-problems td { overflow-wrap: anywhere; }
.builder-check .workflow-graph { min-height: 8rem; }
.preview-lines { list-style: none; margin: 0 0 .75rem; padding: 0; display: grid; gap: .4rem;
  max-height: 24rem; overflow-y: auto; }
.preview-line { border: 1px solid var(--line); border-radius: 8px; padding: .4rem .7rem;
  max-width: 36rem; white-space: pre-wrap; overflow-wrap: anywhere; }
.preview-bot { justify-self: start; background: #f6f8fa; }
.preview-visitor { justify-self: end; background: #eef4ff; border-color: #9dbcf5; }
.preview-note { justify-self: stretch; max-width: none; color: var(--muted); font-size: .9rem;
  border-style: dashed; }
.preview-error { justify-self: stretch; max-width: none; color: var(--danger);
  background: #fff0f1; border-color: var(--danger); border-left-width: 4px; }
.preview-who { font-weight: 600; }
.preview-choices { display: flex; flex-wrap: wrap; gap: .4rem; margin-bottom: .5rem; }
.preview-choices:empty { display: none; }
.preview-say { display: flex; flex-wrap: wrap; gap: .5rem; align-items: end; }
.preview-say label { flex-basis: 100%; margin: 0; }
.preview-say input { flex: 1 1 14rem; }
.preview-example { display: grid; gap: 0 1rem; max-width: 32rem; }
.preview-example button { justify-self: start; margin-bottom: .75rem; }
.builder-publish fieldset { border: 1px solid var(--line); border-radius: 6px; margin: 0 0 1rem; }
.builder-publish legend { font-weight: 600; padding: 0 .3rem; }
.builder-publish .field { margin-bottom: .4rem; }
.builder-problems td:first-child code { white-space: nowrap; }
.preview button:disabled { opacity: .55; cursor: not-allowed; }
.builder-start { display: grid; gap: 1rem;
  grid-template-columns: repeat(auto-fit, minmax(18rem, 1fr)); }
.builder-start h2 { font-size: 1.15rem; margin: 0 0 .75rem; }
/* A/B tests on the funnel page: each split's branches, chart and promote forms */
.ab-table .num { text-align: right; font-variant-numeric: tabular-nums; }
.ab-table caption { text-align: left; color: var(--muted); padding: 0 0 .5rem; }
.ab-table tbody th { text-transform: none; letter-spacing: 0; font-size: 1rem;
  color: var(--ink); }
.ab-chart { position: relative; width: 100%; max-width: 40rem; min-height: 12rem; margin: 1rem 0; }
.ab-promote h3 { font-size: 1rem; margin: 1rem 0 .4rem; }
.ab-promote-form { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center;
  border-top: 1px solid var(--line); padding: .6rem 0; }
.ab-promote-form .field { margin: 0; flex: 1 1 18rem; }
.ab-promote-form label { font-weight: normal; }
/* editing on the graph: selectable graph nodes and the step panel beside the builder's graph */
svg.graph .graph-selectable { cursor: pointer; }
svg.graph .graph-selectable:hover .graph-box { stroke: var(--accent); }
svg.graph .graph-selectable:focus { outline: none; }
svg.graph .graph-selectable:focus-visible .graph-box { stroke: var(--accent); stroke-width: 3; }
svg.graph .graph-selected .graph-box { stroke: var(--accent); stroke-width: 3; fill: #eef4ff; }
.step-editor { margin-top: 1rem; border-top: 1px solid var(--line); padding-top: .75rem; }
.step-editor h3 { font-size: 1rem; margin: .75rem 0 .4rem; }
.step-problems { list-style: none; padding: 0; margin: 0 0 .5rem; }
.step-form { border: 1px solid var(--line); border-radius: 6px; padding: .6rem .75rem;
  margin-bottom: .75rem; }
.step-field-problem { color: var(--danger); margin: .2rem 0 0; font-size: .9rem; }
.step-json { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.step-actions { display: grid; gap: .5rem; }
.step-group { border: 1px solid var(--line); border-radius: 6px; margin: 0; padding: .4rem .75rem; }
.step-group legend { font-weight: 600; padding: 0 .3rem; }
.step-group .field { margin-bottom: .4rem; }
.step-chooser { display: flex; flex-wrap: wrap; gap: 0 .5rem; align-items: end; }
.step-chooser .field { flex: 1 1 14rem; margin-bottom: .5rem; }
.step-chooser .builder-buttons { margin: 0 0 .5rem; }
"""
