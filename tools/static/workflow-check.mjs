#!/usr/bin/env node
// Project rules for GitHub Actions workflows, on top of action-validator's
// schema validation:
//   * top-level `permissions` (least privilege by default) and `concurrency`;
//   * every `uses:` is pinned to a version tag or commit SHA (not a branch
//     such as main/master, never unpinned); local ./ actions are fine;
//   * no long-lived AWS keys: AWS access goes through OIDC
//     (aws-actions/configure-aws-credentials with role-to-assume), so
//     `aws-access-key-id` / AWS_SECRET_ACCESS_KEY must not appear;
//   * a job that asks for `id-token: write` uses role-to-assume.
//
//   node tools/static/workflow-check.mjs FILE...
import fs from "node:fs";
import { parse } from "yaml";

const files = process.argv.slice(2);
let failed = 0;
for (const file of files) {
  const problems = [];
  const text = fs.readFileSync(file, "utf8");
  let wf;
  try {
    wf = parse(text, { strict: true, uniqueKeys: true });
  } catch (err) {
    console.log(`workflow-check: ${file}: YAML parse error: ${err.message}`);
    failed++;
    continue;
  }
  if (!wf || typeof wf !== "object") problems.push("empty workflow");
  else {
    if (!("permissions" in wf)) problems.push("no top-level permissions");
    if (!("concurrency" in wf)) problems.push("no top-level concurrency");
    for (const [jobName, job] of Object.entries(wf.jobs || {})) {
      const uses = [];
      if (job.uses) uses.push(job.uses);
      for (const step of job.steps || []) if (step && step.uses) uses.push(step.uses);
      for (const u of uses) {
        if (u.startsWith("./")) continue;
        if (u.startsWith("docker://")) {
          if (!/:[^/]+$|@sha256:/.test(u) || /:latest$/.test(u)) problems.push(`${jobName}: ${u} is not pinned`);
          continue;
        }
        const at = u.lastIndexOf("@");
        const ref = at < 0 ? "" : u.slice(at + 1);
        if (!ref) problems.push(`${jobName}: ${u} is not pinned to a version`);
        else if (!/^v\d+(\.\d+){0,2}$/.test(ref) && !/^[0-9a-f]{40}$/.test(ref)) {
          problems.push(`${jobName}: ${u} is pinned to '${ref}', not a version tag or commit SHA`);
        }
      }
      const perms = job.permissions || {};
      if (perms["id-token"] === "write") {
        const assumes = (job.steps || []).some((s) => s && s.with && s.with["role-to-assume"]);
        if (!assumes) problems.push(`${jobName}: id-token: write without a role-to-assume step`);
      }
    }
    if (/aws-access-key-id|AWS_SECRET_ACCESS_KEY|aws-secret-access-key/.test(text)) {
      problems.push("uses long-lived AWS access keys; use OIDC role-to-assume");
    }
  }
  if (problems.length) {
    failed++;
    for (const p of problems) console.log(`workflow-check: ${file}: ${p}`);
  } else {
    console.log(`workflow-check: ${file}: permissions, concurrency, pinned actions, OIDC hold`);
  }
}
process.exit(failed ? 1 : 0);
