// Bundles each entry of src/pages/ into ../static/<name>.js (minified, no source maps, so
// the committed files change only when their sources or libraries do).
import { build } from "esbuild";
import { readdirSync } from "node:fs";

const entries = readdirSync("src/pages").filter((name) => name.endsWith(".js"));
await build({
  entryPoints: entries.map((name) => `src/pages/${name}`),
  outdir: "../static",
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2020"],
  legalComments: "eof",
  logLevel: "warning",
});
console.log(`built ${entries.length} scripts into ../static/`);
