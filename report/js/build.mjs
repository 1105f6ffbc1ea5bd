// Build the report's network bundle and its licence file into the Python package:
//   npm ci && npm run build
// writes ../../src/inconcert/report/assets/graph.min.js (minified IIFE, no external requests)
// and graph.LICENSES.txt (the licence of every npm package inside the bundle).
import { build } from "esbuild";
import { readFileSync, writeFileSync, existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const assets = resolve(here, "../../src/inconcert/report/assets");

const result = await build({
  entryPoints: [join(here, "entry.js")],
  bundle: true,
  minify: true,
  format: "iife",
  target: ["es2019"],
  platform: "browser",
  legalComments: "none",
  metafile: true,
  write: false,
  charset: "ascii",
});

// Every package that contributed code, with its version and licence text.
const packages = new Map();
for (const input of Object.keys(result.metafile.inputs)) {
  const m = input.match(/node_modules\/((?:@[^/]+\/)?[^/]+)\//);
  if (m) packages.set(m[1], join(here, "node_modules", m[1]));
}
const names = [...packages.keys()].sort();
let licences = "Third-party software bundled in inconcert's report.html (graph.min.js).\n" +
  "Built from the npm registry by report/js/build.mjs with esbuild.\n";
const banner = [];
for (const name of names) {
  const dir = packages.get(name);
  const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const file = ["LICENSE", "LICENSE.txt", "LICENSE.md", "license", "LICENCE"]
    .map((f) => join(dir, f)).find((f) => existsSync(f));
  if (!file) throw new Error(`no licence file in ${name}`);
  banner.push(`${name}@${pkg.version} (${pkg.license})`);
  licences += `\n${"=".repeat(78)}\n${name} ${pkg.version} (${pkg.license})\n${"=".repeat(78)}\n\n`;
  licences += readFileSync(file, "utf8").trim() + "\n";
}
const code = result.outputFiles[0].text;
if (/<\/script|<!--/i.test(code)) throw new Error("bundle contains </script or <!--");
writeFileSync(join(assets, "graph.min.js"),
  `/*! inconcert report bundle: ${banner.join(", ")}; licences in graph.LICENSES.txt */\n` + code);
writeFileSync(join(assets, "graph.LICENSES.txt"), licences);
console.log(`graph.min.js: ${code.length} bytes; packages: ${banner.join(", ")}`);
