#!/usr/bin/env node
// Parse HCL files (.tf, .tfvars, .tfvars.example) with @cdktf/hcl2json, the
// HCL parser Terraform itself uses, compiled to WebAssembly.
//
//   node tools/static/hcl2json.mjs FILE...            -> {"FILE": <json>, ...}
//
// Exits 1, naming every file that does not parse, if any fails.
import fs from "node:fs";
import { parse } from "@cdktf/hcl2json";

const files = process.argv.slice(2);
if (files.length === 0) {
  console.error("usage: hcl2json.mjs FILE...");
  process.exit(2);
}

const out = {};
let failed = 0;
for (const file of files) {
  try {
    // hcl2json picks native HCL or JSON syntax by extension: give it a .tf
    // name for .tfvars.example files so they parse as native syntax.
    const name = file.endsWith(".json") ? file : `${file}.tf`;
    out[file] = await parse(name, fs.readFileSync(file, "utf8"));
  } catch (err) {
    failed++;
    console.error(`hcl2json: ${file}: ${err && err.message ? err.message : err}`);
  }
}
if (failed) process.exit(1);
// Exit explicitly once stdout is flushed: the Go WebAssembly runtime keeps
// timers alive that would otherwise hold the process open for a while.
process.stdout.write(JSON.stringify(out), () => process.exit(0));
