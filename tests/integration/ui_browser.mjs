// The dashboard and /docs in headless Chromium (Debian's), driven by puppeteer-core.
// Started by ui_browser.py, which made the data and runs urlmon-api at UI_BASE.
// Every step prints PASS/FAIL; the first failure ends the run with status 1.
import { createRequire } from "node:module";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const ROOT = process.env.URLMON_ROOT;
const require = createRequire(path.join(ROOT, "tools/ui/package.json"));
const puppeteer = require("puppeteer-core");

const BASE = process.env.UI_BASE;
const ORIGIN = new URL(BASE).origin;
const ART = process.env.URLMON_UI_ARTIFACTS || "/tmp/urlmon-ui-artifacts";
const REFRESH = 2; // seconds, ?refresh=2
const problems = []; // console errors, failed requests, other origins
let recording = true;

function fail(msg) { throw new Error(msg); }
function eq(got, want, what) {
  const g = JSON.stringify(got), w = JSON.stringify(want);
  if (g !== w) fail(`${what}: got ${g}, want ${w}`);
}
async function api(p) {
  const r = await fetch(BASE + p);
  if (!r.ok) fail(`GET ${p}: ${r.status}`);
  return r.json();
}
const fmt = (n) => Number(n).toLocaleString("en-US");

function watch(page, name) {
  page.on("console", (m) => {
    if (recording && (m.type() === "error" || m.type() === "warn" || m.type() === "warning"))
      problems.push(`${name}: console ${m.type()}: ${m.text()}`);
  });
  page.on("pageerror", (e) => recording && problems.push(`${name}: page error: ${e.message}`));
  page.on("requestfailed", (r) =>
    recording && problems.push(`${name}: request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on("response", (r) => {
    if (recording && r.status() >= 400) problems.push(`${name}: ${r.status()} for ${r.url()}`);
  });
  page.on("request", (r) => {
    const u = r.url();
    if (!u.startsWith("data:") && new URL(u).origin !== ORIGIN)
      problems.push(`${name}: request to another origin: ${u}`);
  });
}

// Waits until the page has finished `n` more refreshes than `from`.
async function refreshes(page) {
  return Number(await page.$eval("body", (b) => b.dataset.refreshes || "0"));
}
async function waitRefresh(page, after) {
  await page.waitForFunction((n) => Number(document.body.dataset.refreshes || "0") > n,
    { timeout: 30000 }, after);
}
const tableNames = (page) => page.$$eval("#rows tr:not(.spacer) td:first-child", (t) => t.map((x) => x.textContent));

// Replaces the search box's text by typing; waits for the rows to be `want` (null: any
// number of rows, all URLs).
async function search(page, q, want, what) {
  await page.focus("#search");
  await page.keyboard.down("Control");
  await page.keyboard.press("KeyA");
  await page.keyboard.up("Control");
  await page.keyboard.press("Backspace");
  if (q) await page.keyboard.type(q);
  const total = urls.length;
  try {
    await page.waitForFunction((w, n) => {
      const names = [...document.querySelectorAll("#rows tr:not(.spacer) td:first-child")].map((x) => x.textContent);
      return w ? JSON.stringify(names) === JSON.stringify(w) &&
        document.querySelector("#count").textContent === `${w.length} of ${n} URLs` : names.length === n;
    }, { timeout: 5000 }, want, total);
  } catch {
    eq(await tableNames(page), want, what);
  }
}

// The active URLs counted by their state in GET /urls.
async function stateCounts() {
  const n = { up: 0, down: 0, unknown: 0 };
  for (const u of (await api("/urls?active=true&limit=1000")).items) n[u.state]++;
  return n;
}
const countsShown = () => Promise.all(["#n-urls", "#n-up", "#n-down", "#n-unknown"].map((id) =>
  page.$eval(id, (e) => e.textContent.trim())));
const cellOf = (id, col) => page.$eval(`#rows tr[data-id="${id}"] td:nth-child(${col})`, (e) => e.textContent);
const fmtTime = (iso) => iso.replace("T", " ").replace(/\.\d+Z$/, "");

// One compute run in a slot of its own (the runs check the URLs due in their slot).
async function computeRun() {
  await new Promise((r) => setTimeout(r, 1100));
  const run = spawnSync(process.env.URLMON_COMPUTE_BIN, ["--interval", "1"], { encoding: "utf8", timeout: 120000 });
  if (run.status !== 0) fail(`compute run: ${run.status} ${run.stderr}`);
}

const steps = [];
function step(name, fn) { steps.push([name, fn]); }

let browser, page, urls, byName;

step("overview numbers equal the JSON routes", async () => {
  await page.goto(`${BASE}/?refresh=${REFRESH}`, { waitUntil: "load" });
  await page.waitForFunction(() => Number(document.body.dataset.refreshes || "0") >= 1);
  const sum = await api("/urls/summary");
  const s = sum.find((e) => e.status === "success").count, f = sum.find((e) => e.status === "fail").count;
  const text = (id) => page.$eval(id, (e) => e.textContent.trim());
  eq(await text("#sum-success"), fmt(s), "30-day successes");
  eq(await text("#sum-fail"), fmt(f), "30-day failures");
  eq(await text("#sum-total"), fmt(s + f), "30-day checks");
  eq(await text("#sum-rate"), (100 * s / (s + f)).toFixed(2) + "%", "success rate");
  for (const span of ["hour", "week", "month"]) {
    if (span !== "hour") {
      const before = await refreshes(page);
      await page.click(`[data-span=${span}]`);
      await waitRefresh(page, before);
    }
    for (const st of ["fail", "success"]) {
      const want = (await api(`/urls/top/${st}/${span}`)).map((e) => [e.name, fmt(e.count)]);
      const got = await page.$$eval(`#top-${st} li`, (l) => l.map((li) =>
        [li.querySelector(".name")?.textContent, li.querySelector(".n")?.textContent]));
      eq(got, want, `top ${st} ${span}`);
    }
  }
  // URL counts by state, as GET /urls answers them
  const n = await stateCounts();
  eq(await countsShown(), [fmt(urls.length), fmt(n.up), fmt(n.down), fmt(n.unknown)], "URLs by state");
  // two runs: the two URLs that failed both (FAIL_THRESHOLD 2) are down
  if (n.down !== 2 || n.up !== urls.length - 2) fail(`unexpected data: ${JSON.stringify(n)}`);
  await page.screenshot({ path: path.join(ART, "overview.png") });
});

step("the table lists every URL; search and sort work", async () => {
  const names = urls.map((u) => u.name);
  eq((await tableNames(page)).slice().sort(), names.slice().sort(), "every URL in the table");
  eq(await page.$eval("#count", (e) => e.textContent), `${urls.length} URLs`, "count");
  // default: by name ascending, case-insensitive
  const collator = { compare: (a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : a.toLowerCase() > b.toLowerCase() ? 1 : 0) };
  eq(await tableNames(page), names.slice().sort(collator.compare), "sorted by name");
  await page.click("th[data-key=name] button");
  eq(await tableNames(page), names.slice().sort(collator.compare).reverse(), "name descending");
  eq(await page.$eval("th[data-key=name]", (e) => e.getAttribute("aria-sort")), "descending", "aria-sort");
  // p95 ascending, URLs without a successful check last
  await page.click("th[data-key=p95] button");
  const d = await api("/dashboard/urls");
  const pct = Object.fromEntries((await api("/dashboard/percentiles")).items.map((e) => [e.id, e]));
  const p95 = d.items.slice().sort((a, b) => {
    const x = pct[a.id].p95, y = pct[b.id].p95;
    if (x === null && y === null) return a.id - b.id;
    if (x === null) return 1;
    if (y === null) return -1;
    return x - y || a.id - b.id;
  }).map((u) => u.name);
  eq(await tableNames(page), p95, "sorted by p95");
  // the state column puts down URLs first, by keyboard this time
  await page.focus("th[data-key=state] button");
  await page.keyboard.press("Enter");
  const first2 = (await tableNames(page)).slice(0, 2).sort();
  eq(first2, ["Epsilon 404", "Gamma 503"], "down URLs first");
  const gamma = byName["Gamma 503"];
  if (!/^down for /.test(await cellOf(gamma.id, 3))) fail(`Gamma is down: ${await cellOf(gamma.id, 3)}`);
  const since = (await api(`/urls/${gamma.id}`)).since;
  eq(await page.$eval(`#rows tr[data-id="${gamma.id}"] td:nth-child(3)`, (e) => e.title), `down since ${fmtTime(since)} UTC`, "Gamma's since");
  eq(await cellOf(gamma.id, 4), "http_status 503", "Gamma's last check shows its error class");
  // certificates: only Secure (https) has one, 3 days: its days left as GET /urls counts
  // them, highlighted; sorted by them it comes first, the URLs without one last
  const secure = await api(`/urls/${byName["Secure"].id}`);
  eq(secure.cert_days_left, 2, "Secure's certificate (API): 3 days less a few seconds");
  const certs = await page.$$eval("#rows tr:not(.spacer)", (rows) => rows.map((r) =>
    [r.cells[0].textContent, r.cells[9].textContent, r.cells[9].className, r.cells[9].title]));
  for (const [name, txt, cls, title] of certs) {
    const want = name === "Secure" ? [`${secure.cert_days_left} d`, "num cert-warn", `certificate expires ${fmtTime(secure.cert_expires_at)} UTC`] : ["\u2013", "num", ""];
    eq([txt, cls, title], want, `certificate cell of ${name}`);
  }
  await page.click("th[data-key=cert] button");
  const byCert = await tableNames(page);
  eq([byCert[0], byCert.length], ["Secure", urls.length], "sorted by certificate days");
  // search (what a user types; the table follows as they type)
  await search(page, "GAMMA", ["Gamma 503"], "search by name");
  await search(page, "/b?delay", ["Beta slow"], "search by URL");
  await search(page, "no such thing", [], "search without a match");
  await search(page, "", null, "search cleared");
  eq(await page.$eval("#count", (e) => e.textContent), `${urls.length} URLs`, "count after clearing");
  await page.click("th[data-key=name] button"); // back to name ascending
  eq(await tableNames(page), names.slice().sort(collator.compare), "sorted by name again");
  const table = await page.$("#scroller");
  await table.screenshot({ path: path.join(ART, "url-table.png") });
});

step("a click opens the URL's page with its checks", async () => {
  const u = byName["Beta slow"];
  await page.$eval(`#rows tr[data-id="${u.id}"] a`, (a) => a.click()); // rows redraw at each refresh
  await page.waitForFunction((n) => document.querySelector("#u-name").textContent === n &&
    document.querySelectorAll("#u-checks tr").length > 0, {}, u.name);
  eq(new URL(page.url()).hash, `#/urls/${u.id}`, "location");
  const checks = await api(`/urls/${u.id}/checks?limit=20`);
  const rows = await page.$$eval("#u-checks tr", (r) => r.map((tr) => [...tr.cells].map((c) => c.textContent)));
  eq(rows.length, checks.items.length, "one row per check");
  eq(rows.map((r) => r[0]), checks.items.map((c) => c.checked_at.replace("T", " ").replace(/\.\d+Z$/, "")), "check times");
  eq(rows.map((r) => r[3]), checks.items.map((c) => String(c.response_ms)), "response times");
  const d = await api(`/urls/${u.id}`);
  const latest = await page.$eval("#u-latest", (e) => e.textContent);
  for (const k of ["dns_ms", "connect_ms", "ttfb_ms"])
    if (d.latest_check[k] !== null && !latest.includes(`${d.latest_check[k]} ms`)) fail(`latest check shows ${k}`);
  const stats = await page.$eval("#u-stats", (e) => e.textContent);
  if (!stats.includes(`${d.response_ms_24h.p50} ms`)) fail(`p50 on the page: ${stats}`);
  // the chart (Chart.js) drew, the strips have one cell per bucket
  await page.waitForFunction(() => document.querySelector("#u-chart").width > 0);
  eq(await page.$$eval("#u-strips .strip", (s) => s.map((x) => x.children.length)), [24, 168, 30], "availability strips");
  // the last cell is the current hour (day): the test's checks are in it unless the hour
  // turned since they ran (a run crossing hh:00 leaves the new hour's cell empty)
  if (new Date().getUTCMinutes() >= 2) {
    eq(await page.$$eval("#u-strips .strip", (s) => s.map((x) => x.lastElementChild.className)), ["ok", "ok", "ok"], "this hour ok");
  }
  const st = await page.$eval("#u-state", (e) => e.textContent);
  if (!st.startsWith("Stateup") || !st.includes(`Since${fmtTime(d.since)} UTC`)) fail(`state on the page: ${st}`);
  eq(await page.$eval("#u-incidents", (e) => e.textContent), "none", "no incidents");
  await page.screenshot({ path: path.join(ART, "url-page.png"), fullPage: true });
  await page.goBack();
  await page.waitForFunction(() => !document.querySelector("#view-overview").hidden);
});

step("a URL's page shows its certificate expiry and the certificate warning", async () => {
  const u = byName["Secure"];
  // (the rows are redrawn at every refresh: find and click the link in one go)
  await page.$eval(`#rows tr[data-id="${u.id}"] a`, (a) => a.click());
  const inc = await api(`/urls/${u.id}/incidents`);
  eq(inc.items.map((x) => [x.kind, x.state]), [["cert_expiring", "open"]], "Secure's incidents (API)");
  await page.waitForFunction((id) => document.querySelector("#u-incidents li")?.dataset.id === String(id), {}, inc.items[0].id);
  const d = await api(`/urls/${u.id}`);
  const st = await page.$eval("#u-state", (e) => e.textContent);
  if (!st.includes(`Certificate expires${fmtTime(d.cert_expires_at)} UTC (${d.cert_days_left} days left)`)) fail(`certificate on the page: ${st}`);
  eq(await page.$eval("#u-state .cert-warn", (e) => e.textContent.includes("days left")), true, "the expiry is highlighted");
  const li = await page.$eval("#u-incidents li", (e) => e.textContent);
  if (!li.startsWith(`open certificate expiring (${fmtTime(inc.items[0].cert_expires_at)} UTC) from `)) fail(`the warning on the page: ${li}`);
  await page.goBack();
  await page.waitForFunction(() => !document.querySelector("#view-overview").hidden);
});

step("a URL that fails goes down after FAIL_THRESHOLD runs, without a reload, with an incident", async () => {
  await page.evaluate(() => { window.__noReload = 1; });
  const flip = byName["Flip"];
  if (!(await cellOf(flip.id, 3)).startsWith("up")) fail(`Flip is up first: ${await cellOf(flip.id, 3)}`);
  const downBefore = Number(await page.$eval("#n-down", (e) => e.textContent));
  process.kill(Number(process.env.UI_FLIP_PID), "SIGTERM");
  await new Promise((r) => setTimeout(r, 300));
  // one failed check: still up (FAIL_THRESHOLD 2), its last check failed
  await computeRun();
  let before = await refreshes(page);
  await waitRefresh(page, before);
  if (!/^connect/.test(await cellOf(flip.id, 4))) fail(`Flip's last check failed: ${await cellOf(flip.id, 4)}`);
  if (!(await cellOf(flip.id, 3)).startsWith("up")) fail(`one failure leaves Flip up: ${await cellOf(flip.id, 3)}`);
  // the second: down, with an incident
  await computeRun();
  before = await refreshes(page);
  await waitRefresh(page, before);
  if (!/^down for /.test(await cellOf(flip.id, 3))) fail(`Flip shows as down: ${await cellOf(flip.id, 3)}`);
  const n = await stateCounts();
  eq(n.down, downBefore + 1, "one more URL down");
  eq(await countsShown(), [fmt(urls.length), fmt(n.up), fmt(n.down), fmt(n.unknown)], "URLs by state after the change");
  eq(await page.evaluate(() => window.__noReload), 1, "no reload");
  // its page: down since the first failed check, and the open incident
  await page.$eval(`#rows tr[data-id="${flip.id}"] a`, (a) => a.click());
  const inc = await api(`/urls/${flip.id}/incidents`);
  eq([inc.items.length, inc.items[0].state, inc.items[0].kind, inc.items[0].error_class], [1, "open", "down", "connect"], "Flip's incident (API)");
  await page.waitForFunction((id) => document.querySelector("#u-incidents li")?.dataset.id === String(id), {}, inc.items[0].id);
  const d = await api(`/urls/${flip.id}`);
  eq(d.since, inc.items[0].opened_at, "down since the incident opened");
  const st = await page.$eval("#u-state", (e) => e.textContent);
  if (!st.startsWith("Statedown") || !st.includes(`Since${fmtTime(d.since)} UTC`)) fail(`state on the page: ${st}`);
  const li = await page.$eval("#u-incidents li", (e) => e.textContent);
  if (!li.startsWith("open down from " + fmtTime(inc.items[0].opened_at) + " UTC, still open") || !li.includes("connect"))
    fail(`the incident on the page: ${li}`);
  eq(await page.$eval("#u-inc-older", (e) => e.disabled), true, "no older incidents");
  await page.screenshot({ path: path.join(ART, "url-page-down.png"), fullPage: true });
  await page.goBack();
  await page.waitForFunction(() => !document.querySelector("#view-overview").hidden);
});

step("keyboard and phone width", async () => {
  await page.focus("#search");
  await page.keyboard.press("Tab");
  eq(await page.evaluate(() => document.activeElement.id), "scroller", "the table scrolls by keyboard");
  const links = await page.$$eval("#rows a", (a) => a.every((x) => x.getAttribute("href").startsWith("#/urls/")));
  eq(links, true, "rows link to their URL page");
  await page.setViewport({ width: 390, height: 844 });
  await new Promise((r) => setTimeout(r, 200));
  const over = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  if (over > 0) fail(`the page is ${over} px wider than a phone`);
  await page.screenshot({ path: path.join(ART, "phone.png") });
  await page.setViewport({ width: 1280, height: 800 });
});

step("/docs renders every route and 'try it out' calls this server", async () => {
  const doc = await api("/openapi.json");
  const docs = await browser.newPage();
  watch(docs, "docs");
  await docs.setViewport({ width: 1280, height: 800 });
  await docs.goto(`${BASE}/docs`, { waitUntil: "load" });
  await docs.waitForSelector(".opblock", { timeout: 20000 });
  const want = [];
  for (const [p, ops] of Object.entries(doc.paths))
    for (const m of Object.keys(ops)) if (["get", "post", "put", "patch", "delete", "head"].includes(m)) want.push(`${m.toUpperCase()} ${p}`);
  const got = await docs.$$eval(".opblock", (b) => b.map((x) =>
    `${x.querySelector(".opblock-summary-method").textContent} ${x.querySelector(".opblock-summary-path").getAttribute("data-path")}`));
  eq(got.slice().sort(), want.slice().sort(), "every route of /openapi.json");
  const op = `.opblock:has(.opblock-summary-path[data-path="/dashboard/urls/{id}"])`;
  await docs.click(`${op} .opblock-summary-control`);
  await docs.waitForSelector(`${op} .try-out__btn`);
  await docs.click(`${op} .try-out__btn`);
  // the field starts with the document's example id: select it so typing replaces it
  await docs.click(`${op} input[placeholder="id"]`, { clickCount: 3 });
  await docs.type(`${op} input[placeholder="id"]`, String(urls[0].id));
  await docs.click(`${op} .execute`);
  await docs.waitForSelector(`${op} .live-responses-table tr.response .response-col_status`, { timeout: 15000 });
  const status = await docs.$eval(`${op} .live-responses-table tr.response .response-col_status`, (e) => e.textContent.trim());
  eq(status, "200", "try it out: GET /dashboard/urls/{id}");
  const body = await docs.$eval(`${op} .live-responses-table tr.response .response-col_description pre`, (e) => e.textContent);
  eq(JSON.parse(body).id, urls[0].id, "the answer in the page");
  const url = await docs.$eval(`${op} .request-url pre`, (e) => e.textContent.trim());
  eq(url, `${BASE}/dashboard/urls/${urls[0].id}`, "try it out goes to this server");
  await docs.screenshot({ path: path.join(ART, "docs.png") });
  await docs.close();
});

step("no console errors, failed requests or other origins", async () => {
  if (problems.length) fail(problems.join("\n"));
});

step("the page says when the API stops answering (stale)", async () => {
  recording = false; // the failed requests from here on are the point
  process.kill(Number(process.env.UI_API_PID), "SIGTERM");
  // while it stops the API answers 503 "shutting down" for a moment (the banner says
  // so); then it cannot be reached
  await page.waitForFunction(() => !document.querySelector("#banner").hidden &&
    /cannot be reached|failed/.test(document.querySelector("#banner").textContent) &&
    document.querySelector("#freshness").classList.contains("stale"), { timeout: 30000 });
  const b = await page.$eval("#banner", (e) => e.textContent);
  if (!/cannot be reached|failed/.test(b)) fail(`banner: ${b}`);
  eq(await page.evaluate(() => window.__noReload), 1, "still no reload");
});

async function main() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), "urlmon-chromium-"));
  let failed = false;
  try {
    browser = await puppeteer.launch({
      executablePath: process.env.URLMON_CHROMIUM || "/usr/bin/chromium",
      headless: false, // the flags below say --headless themselves
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        `--user-data-dir=${profile}`],
    });
    page = await browser.newPage();
    watch(page, "dashboard");
    await page.setViewport({ width: 1280, height: 800 });
    urls = (await api("/urls?active=true&limit=1000")).items;
    byName = Object.fromEntries(urls.map((u) => [u.name, u]));
    for (const [name, fn] of steps) {
      const t0 = Date.now();
      try {
        await fn();
        console.log(`PASS ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      } catch (e) {
        console.log(`FAIL ${name}: ${e.message}`);
        try { await page.screenshot({ path: path.join(ART, "failure.png"), fullPage: true }); } catch { /* */ }
        failed = true;
        break;
      }
    }
  } finally {
    if (browser) await browser.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
  console.log(`screenshots in ${ART}`);
  process.exit(failed ? 1 : 0);
}

main().catch((e) => { console.log(`FAIL: ${e.stack}`); process.exit(1); });
