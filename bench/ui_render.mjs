// bench/ui_render.mjs: how fast the dashboard renders with the URLs in the database
// (10,000 in bench/ui_render.sh). Debian's Chromium, headless, through puppeteer-core.
//
//   UI_BASE=http://127.0.0.1:PORT node bench/ui_render.mjs [REPS]
//   (UI_SCREENSHOT=FILE.png: a screenshot of the first load, once its p50/p95 are in)
//
// Per rep, a fresh page with the HTTP cache off loads GET / and the time to the
// "urlmon:first-render" mark (set by app.js right after the table's first rows are in
// the DOM), plus one animation frame (the paint), is recorded, split into the
// /dashboard/urls request (server time, bytes) and the page's own work after it. Then, on
// the loaded page: sorting all URLs by p95 (click to rows redrawn), a search keystroke
// sequence, and scrolling to the middle. The first load (after urlmon-api started, so
// it computes the answers) is printed apart as "cold"; the REPS after it are answered
// from the API's in-process copies ("warm"). With UI_AFTER_RUN set to a shell command
// that writes as a compute run does (bench/ui_render.sh sets one), REPS more loads each
// follow that command ("after a run": the answers are built again, the settled sums of
// past hours and days kept). Prints one JSON line per load and a summary.
import { execSync } from "node:child_process";
import { createRequire } from "node:module";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(path.join(ROOT, "tools/ui/package.json"));
const puppeteer = require("puppeteer-core");
const BASE = process.env.UI_BASE;
const REPS = Number(process.argv[2] || 5);

const frame = (page) => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
const median = (a) => { const s = a.slice().sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };

async function rep(browser) {
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 800 });
  await page.setCacheEnabled(false);
  await page.goto(`${BASE}/`, { waitUntil: "domcontentloaded" });
  await page.waitForFunction(() => performance.getEntriesByName("urlmon:first-render").length > 0, { timeout: 60000 });
  await frame(page);
  const m = await page.evaluate(() => {
    const mark = performance.getEntriesByName("urlmon:first-render")[0].startTime;
    const r = performance.getEntriesByType("resource").find((e) => e.name.endsWith("/dashboard/urls"));
    return {
      first_render_ms: mark,
      painted_ms: performance.now(),
      urls: document.querySelector("#count").textContent,
      rows_in_dom: document.querySelectorAll("#rows tr:not(.spacer)").length,
      dash_request_ms: r.responseEnd - r.requestStart,
      dash_bytes: r.decodedBodySize,
      after_data_ms: mark - r.responseEnd,
    };
  });
  await page.waitForFunction(() => performance.getEntriesByName("urlmon:percentiles").length > 0, { timeout: 120000 });
  Object.assign(m, await page.evaluate(() => {
    const r = performance.getEntriesByType("resource").find((e) => e.name.endsWith("/dashboard/percentiles"));
    return { pct_filled_ms: performance.getEntriesByName("urlmon:percentiles")[0].startTime,
      pct_request_ms: r.responseEnd - r.requestStart, pct_bytes: r.decodedBodySize };
  }));
  if (process.env.UI_SCREENSHOT && !rep.shot) { // the page as it settles: percentiles in, refreshed
    rep.shot = true;
    await page.waitForFunction(() => Number(document.body.dataset.refreshes || "0") >= 1, { timeout: 60000 });
    await page.screenshot({ path: process.env.UI_SCREENSHOT });
  }
  // sort 10,000 by p95 (click -> the rows redrawn and painted)
  m.sort_p95_ms = await page.evaluate(() => new Promise((resolve) => {
    const t0 = performance.now();
    document.querySelector("th[data-key=p95] button").click();
    requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - t0)));
  }));
  // scroll to the middle
  m.scroll_ms = await page.evaluate(() => new Promise((resolve) => {
    const sc = document.querySelector("#scroller");
    const t0 = performance.now();
    sc.scrollTop = sc.scrollHeight / 2;
    sc.dispatchEvent(new Event("scroll"));
    requestAnimationFrame(() => requestAnimationFrame(() => resolve(performance.now() - t0)));
  }));
  // search: type "site 0042" and wait for the table to show the matches
  const t0 = Date.now();
  await page.type("#search", "site 0042");
  await page.waitForFunction(() => /^20 of /.test(document.querySelector("#count").textContent), { timeout: 30000 });
  await frame(page);
  m.search_ms = Date.now() - t0;
  m.search_result = await page.$eval("#count", (e) => e.textContent);
  await page.close();
  return m;
}

async function main() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "urlmon-bench-chromium-"));
  const browser = await puppeteer.launch({
    executablePath: process.env.URLMON_CHROMIUM || "/usr/bin/chromium",
    headless: false,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync",
      `--user-data-dir=${profile}`],
  });
  const all = [];
  const after = [];
  let cold;
  try {
    // The first load after the API started: urlmon-api computes both answers (as after
    // every compute run); the later ones get them from its in-process copies.
    cold = await rep(browser);
    console.log(JSON.stringify({ cold: true, ...cold }));
    for (let i = 0; i < REPS; i++) {
      const m = await rep(browser);
      console.log(JSON.stringify(m));
      all.push(m);
    }
    for (let i = 0; process.env.UI_AFTER_RUN && i < REPS; i++) {
      execSync(process.env.UI_AFTER_RUN, { stdio: "inherit" });
      const m = await rep(browser);
      console.log(JSON.stringify({ after_run: true, ...m }));
      after.push(m);
    }
  } finally {
    await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  const keys = ["first_render_ms", "painted_ms", "dash_request_ms", "after_data_ms", "pct_request_ms", "pct_filled_ms",
    "sort_p95_ms", "scroll_ms", "search_ms"];
  const summary = { reps: REPS, cold_first_render_ms: Math.round(cold.first_render_ms),
    cold_pct_filled_ms: Math.round(cold.pct_filled_ms), cold_dash_request_ms: Math.round(cold.dash_request_ms),
    cold_pct_request_ms: Math.round(cold.pct_request_ms), urls: all[0].urls, dash_bytes: all[0].dash_bytes, rows_in_dom: all[0].rows_in_dom };
  for (const k of keys) {
    const v = all.map((m) => m[k]);
    summary[k] = { median: Math.round(median(v)), min: Math.round(Math.min(...v)), max: Math.round(Math.max(...v)) };
  }
  for (const k of after.length ? ["first_render_ms", "dash_request_ms", "after_data_ms", "pct_filled_ms", "pct_request_ms"] : []) {
    const v = after.map((m) => m[k]);
    summary["after_run_" + k] = { median: Math.round(median(v)), min: Math.round(Math.min(...v)), max: Math.round(Math.max(...v)) };
  }
  console.log("SUMMARY " + JSON.stringify(summary));
}

main().catch((e) => { console.error(e); process.exit(1); });
