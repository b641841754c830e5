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
"""
