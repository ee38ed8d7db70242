#!/usr/bin/env node
// Project rules for GitHub Actions workflows, on top of action-validator's
// schema validation:
//   * top-level `permissions` (least privilege by default) and `concurrency`;
//   * every third-party `uses:` is pinned to a full commit SHA (a tag can be moved;
//     write the tag in a comment); local ./ actions and workflows are fine, and a
//     called ./ workflow must exist and declare `on: workflow_call`;
//   * no long-lived AWS keys: AWS access goes through OIDC
//     (aws-actions/configure-aws-credentials with role-to-assume), so
//     `aws-access-key-id` / AWS_SECRET_ACCESS_KEY must not appear;
//   * a job that asks for `id-token: write` uses role-to-assume;
//   * deploy rules, for a workflow with a job that runs `terraform apply`:
//     that job has an `environment:` (the approval gate); it needs, directly or
//     through other jobs, a job that calls the CI workflow (./.github/workflows/*.yml),
//     and that CI workflow builds both images (`docker build --target api` and
//     `--target compute`); the job that runs `terraform plan` assumes another role
//     than the apply job (read-only plan role); the apply job checks the rollout
//     state with wait-rollout.sh instead of `ecs wait services-stable` (which
//     passes after a rollback), and does not ask for a session under 7200 s.
//
//   node tools/static/workflow-check.mjs FILE...
import fs from "node:fs";
import path from "node:path";
import { parse } from "yaml";

const runText = (job) => (job.steps || []).map((st) => (st && st.run) || "").join("\n");
const roleOf = (job) => {
  for (const st of job.steps || []) if (st && st.with && st.with["role-to-assume"]) return String(st.with["role-to-assume"]);
  return null;
};

function deployRules(file, wf, problems) {
  const jobs = wf.jobs || {};
  const applyJobs = Object.entries(jobs).filter(([, j]) => /terraform\s+apply\b/.test(runText(j)));
  if (applyJobs.length === 0) return;
  const needsOf = (name) => {
    const n = (jobs[name] || {}).needs;
    return n ? (Array.isArray(n) ? n : [n]) : [];
  };
  const reaches = (from, pred, seen = new Set()) => {
    for (const n of needsOf(from)) {
      if (seen.has(n)) continue;
      seen.add(n);
      if (pred(n) || reaches(n, pred, seen)) return true;
    }
    return false;
  };
  const isCi = (n) => jobs[n] && typeof jobs[n].uses === "string" && jobs[n].uses.startsWith("./.github/workflows/");
  const planJobs = Object.entries(jobs).filter(([, j]) => /terraform\s+plan\b/.test(runText(j)));
  for (const [name, job] of applyJobs) {
    if (!job.environment) problems.push(`${name}: runs terraform apply without an environment (the approval gate)`);
    if (!reaches(name, isCi)) problems.push(`${name}: runs terraform apply without needing the CI workflow (a job that uses ./.github/workflows/ci.yml)`);
    const text = runText(job);
    if (!/wait-rollout\.sh/.test(text)) problems.push(`${name}: does not check the rollout state (terraform/scripts/wait-rollout.sh)`);
    if (/services-stable/.test(text)) problems.push(`${name}: relies on ecs wait services-stable, which passes after a rollback`);
    for (const st of job.steps || []) {
      const d = st && st.with && st.with["role-duration-seconds"];
      if (d !== undefined && /^\d+$/.test(String(d)) && Number(d) < 7200) {
        problems.push(`${name}: role-duration-seconds ${d} is shorter than a first apply (at least 7200)`);
      }
    }
    const applyRole = roleOf(job);
    for (const [pname, pjob] of planJobs) {
      if (pname === name) continue;
      const planRole = roleOf(pjob);
      if (planRole && applyRole && planRole === applyRole) {
        problems.push(`${pname}: terraform plan assumes the apply role (${planRole}); give it a read-only role`);
      }
    }
  }
  for (const [name, job] of Object.entries(jobs).filter(([n]) => isCi(n))) {
    const called = path.join(path.dirname(file), path.basename(job.uses));
    if (!fs.existsSync(called)) continue; // reported by the generic rule
    const ci = parse(fs.readFileSync(called, "utf8"));
    const ciRuns = Object.values(ci.jobs || {}).map(runText).join("\n");
    for (const t of ["api", "compute"]) {
      if (!new RegExp(`docker build[^\\n]*--target ${t}\\b`).test(ciRuns)) {
        problems.push(`${name}: the CI workflow ${job.uses} does not build the ${t} image (docker build --target ${t})`);
      }
    }
  }
}

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
        if (u.startsWith("./.github/workflows/")) {
          const called = path.join(path.dirname(file), path.basename(u));
          let ok = false;
          try {
            const w = parse(fs.readFileSync(called, "utf8"));
            ok = !!(w && w.on && typeof w.on === "object" && "workflow_call" in w.on);
          } catch {
            ok = false;
          }
          if (!ok) problems.push(`${jobName}: ${u} does not exist or has no on: workflow_call`);
          continue;
        }
        if (u.startsWith("./")) continue;
        if (u.startsWith("docker://")) {
          if (!/:[^/]+$|@sha256:/.test(u) || /:latest$/.test(u)) problems.push(`${jobName}: ${u} is not pinned`);
          continue;
        }
        const at = u.lastIndexOf("@");
        const ref = at < 0 ? "" : u.slice(at + 1);
        if (!ref) problems.push(`${jobName}: ${u} is not pinned to a version`);
        else if (!/^[0-9a-f]{40}$/.test(ref)) {
          problems.push(`${jobName}: ${u} is pinned to '${ref}', not a full commit SHA (a tag can be moved)`);
        }
      }
      const perms = job.permissions || {};
      if (perms["id-token"] === "write") {
        const assumes = (job.steps || []).some((s) => s && s.with && s.with["role-to-assume"]);
        if (!assumes) problems.push(`${jobName}: id-token: write without a role-to-assume step`);
      }
    }
    deployRules(file, wf, problems);
    if (/aws-access-key-id|AWS_SECRET_ACCESS_KEY|aws-secret-access-key/.test(text)) {
      problems.push("uses long-lived AWS access keys; use OIDC role-to-assume");
    }
  }
  if (problems.length) {
    failed++;
    for (const p of problems) console.log(`workflow-check: ${file}: ${p}`);
  } else {
    console.log(`workflow-check: ${file}: permissions, concurrency, SHA-pinned actions, OIDC, deploy rules hold`);
  }
}
process.exit(failed ? 1 : 0);
