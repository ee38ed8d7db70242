#!/usr/bin/env node
// Static checks for docker-compose.yml (no Docker engine is available on the
// project's machines, so `docker compose config` cannot be the check).
//
//   node tools/static/compose-check.mjs [docker-compose.yml]
//
// Checks: the file parses as YAML (with merge keys, as Compose reads it);
// services mariadb (mariadb:10.11), redis (redis:7), api, compute and a
// one-shot migrate service exist; images are pinned (no latest/untagged);
// every depends_on uses the long form with a valid condition on an existing
// service; every service_healthy dependency has a healthcheck (in the file or
// as a HEALTHCHECK in its Dockerfile); every service_completed_successfully
// dependency does not restart; api and compute wait for healthy mariadb and
// redis and for a successful migrate; compute runs --run-local with
// --data-path data/urls.csv; urlmon services agree on DB/Redis addresses,
// which name services in the file, and set ALLOW_PRIVATE_TARGETS explicitly.
import fs from "node:fs";
import path from "node:path";
import { parse } from "yaml";

const file = process.argv[2] || "docker-compose.yml";
const problems = [];
const fail = (msg) => problems.push(msg);

let doc;
try {
  doc = parse(fs.readFileSync(file, "utf8"), { merge: true, strict: true, uniqueKeys: true });
} catch (err) {
  console.error(`compose-check: ${file}: YAML parse error: ${err.message}`);
  process.exit(1);
}

const services = (doc && doc.services) || {};
if (typeof services !== "object" || Array.isArray(services) || Object.keys(services).length === 0) {
  console.error(`compose-check: ${file}: no services mapping`);
  process.exit(1);
}
const baseDir = path.dirname(file);

const asList = (cmd) => (Array.isArray(cmd) ? cmd.map(String) : typeof cmd === "string" ? cmd.split(/\s+/) : []);
const envOf = (svc) => {
  const env = svc.environment || {};
  if (Array.isArray(env)) {
    return Object.fromEntries(env.map((e) => { const i = String(e).indexOf("="); return i < 0 ? [e, ""] : [e.slice(0, i), e.slice(i + 1)]; }));
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? "" : String(v)]));
};
const dockerfileOf = (svc) => {
  if (!svc.build) return null;
  const ctx = typeof svc.build === "string" ? svc.build : svc.build.context || ".";
  const df = (typeof svc.build === "object" && svc.build.dockerfile) || "Dockerfile";
  return path.join(baseDir, ctx, df);
};
// The instructions of the image a service builds: its build target's stage (the last
// stage without a target) after the stages it is built FROM, base first; null when the
// Dockerfile is missing, undefined when it has no such target.
const stagesOf = (svc) => {
  const df = dockerfileOf(svc);
  if (!df || !fs.existsSync(df)) return null;
  const stages = [];
  for (const line of fs.readFileSync(df, "utf8").split("\n")) {
    const m = /^\s*FROM\s+(?:--\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (m) stages.push({ image: m[1], alias: m[2], text: "" });
    else if (stages.length) stages[stages.length - 1].text += line + "\n";
  }
  const target = typeof svc.build === "object" ? svc.build.target : undefined;
  let st = target === undefined ? stages[stages.length - 1] : stages.find((x) => x.alias === target);
  if (!st) return undefined;
  const chain = [st];
  while ((st = stages.find((x) => x.alias && x.alias === st.image && !chain.includes(x)))) chain.unshift(st);
  return chain.map((x) => x.text).join("");
};
const hasHealthcheck = (name) => {
  const svc = services[name];
  if (svc.healthcheck && !svc.healthcheck.disable && svc.healthcheck.test) return true;
  const text = stagesOf(svc);
  const hcs = text ? [...text.matchAll(/^\s*HEALTHCHECK\s+(.*)$/gm)] : [];
  return hcs.length > 0 && /^(--\S+\s+)*CMD\b/.test(hcs[hcs.length - 1][1]);
};

// Required services and their images.
const expectImage = { mariadb: "mariadb:10.11", redis: "redis:7" };
for (const [name, image] of Object.entries(expectImage)) {
  if (!services[name]) fail(`service ${name} is missing`);
  else if (services[name].image !== image) fail(`service ${name} uses image ${services[name].image}, expected ${image}`);
}
for (const name of ["api", "compute"]) if (!services[name]) fail(`service ${name} is missing`);
const migrateName = Object.keys(services).find((n) => {
  const cmd = asList(services[n].command);
  return cmd.length === 1 && cmd[0] === "migrate";
});
if (!migrateName) fail("no one-shot service with command [\"migrate\"]");

for (const [name, svc] of Object.entries(services)) {
  // Images pinned.
  if (svc.image && !svc.build) {
    const img = String(svc.image);
    const last = img.split("@")[0].split("/").pop();
    if (!img.includes("@") && !last.includes(":")) fail(`${name}: image ${img} is not pinned to a tag`);
    if (/:latest$/.test(img)) fail(`${name}: image ${img} uses the latest tag`);
  }
  // Build files exist.
  const df = dockerfileOf(svc);
  if (df && !fs.existsSync(df)) fail(`${name}: build dockerfile ${df} does not exist`);
  else if (df && stagesOf(svc) === undefined) fail(`${name}: build target ${svc.build.target} is not a stage of ${df}`);

  // depends_on: long form, valid conditions, existing targets.
  if (svc.depends_on !== undefined) {
    if (Array.isArray(svc.depends_on)) {
      fail(`${name}: depends_on is a list; use the long form with a condition per dependency`);
    } else {
      for (const [dep, spec] of Object.entries(svc.depends_on)) {
        if (!services[dep]) { fail(`${name}: depends_on unknown service ${dep}`); continue; }
        const cond = spec && spec.condition;
        if (!["service_healthy", "service_completed_successfully", "service_started"].includes(cond)) {
          fail(`${name}: depends_on ${dep} has no valid condition (${cond})`);
        }
        if (cond === "service_healthy" && !hasHealthcheck(dep)) {
          fail(`${name}: waits for ${dep} to be healthy, but ${dep} has no healthcheck`);
        }
        if (cond === "service_completed_successfully" && services[dep].restart && services[dep].restart !== "no") {
          fail(`${name}: waits for ${dep} to complete, but ${dep} has restart: ${services[dep].restart}`);
        }
      }
    }
  }
}

// Start order of the urlmon services.
const needs = (svcName, dep, cond) => {
  const d = services[svcName] && services[svcName].depends_on;
  const got = d && !Array.isArray(d) && d[dep] && d[dep].condition;
  if (got !== cond) fail(`${svcName}: must depend on ${dep} with condition ${cond} (has ${got || "none"})`);
};
for (const name of ["api", "compute"]) {
  if (!services[name]) continue;
  needs(name, "mariadb", "service_healthy");
  needs(name, "redis", "service_healthy");
  if (migrateName) needs(name, migrateName, "service_completed_successfully");
}
if (migrateName) needs(migrateName, "mariadb", "service_healthy");

// compute command.
if (services.compute) {
  const cmd = asList(services.compute.command);
  const i = cmd.indexOf("--data-path");
  if (!cmd.includes("--run-local")) fail("compute: command lacks --run-local");
  if (i < 0 || cmd[i + 1] !== "data/urls.csv") fail("compute: command lacks --data-path data/urls.csv");
}

// Shared configuration of the urlmon services.
const appNames = ["api", "compute", migrateName].filter((n) => n && services[n]);
const shared = ["DB_ADDRESS", "DB_PORT", "DB_NAME", "CACHE_ADDRESS", "CACHE_PORT", "ALLOW_PRIVATE_TARGETS"];
for (const key of shared) {
  const values = new Set(appNames.map((n) => envOf(services[n])[key]));
  if (values.has(undefined)) fail(`${key} is not set on every urlmon service (${appNames.join(", ")})`);
  else if (values.size !== 1) fail(`${key} differs between urlmon services: ${[...values].join(" / ")}`);
}
for (const n of appNames) {
  const env = envOf(services[n]);
  for (const key of ["DB_ADDRESS", "CACHE_ADDRESS"]) {
    if (env[key] !== undefined && !services[env[key]]) fail(`${n}: ${key}=${env[key]} is not a service in ${file}`);
  }
  if (env.ALLOW_PRIVATE_TARGETS !== undefined && !["0", "1"].includes(env.ALLOW_PRIVATE_TARGETS)) {
    fail(`${n}: ALLOW_PRIVATE_TARGETS must be 0 or 1`);
  }
  if (!env.DB_USER) fail(`${n}: DB_USER is not set`);
}

if (problems.length) {
  for (const p of problems) console.log(`compose-check: ${file}: ${p}`);
  process.exit(1);
}
console.log(`compose-check: ${file}: ${Object.keys(services).length} services, start order and wiring hold`);
