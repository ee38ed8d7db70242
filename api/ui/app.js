/* urlmon dashboard: plain JS over urlmon-api's own JSON routes (same origin only).
 *
 * Views (by location hash): "#/" the overview and the table of every URL, "#/urls/{id}"
 * one URL. Every REFRESH seconds (30, or ?refresh=N in the page's query) the visible
 * view's data is fetched again and redrawn without a reload; the header says how old the
 * data is, turns "stale" when a refresh failed or is late, and a banner says when the
 * API is unhealthy (GET /healthz) or unreachable. The table renders only the rows in
 * view (fixed row height), so 10,000 URLs sort, filter and scroll without lag. */
"use strict";
(function () {
  var params = new URLSearchParams(window.location.search);
  var REFRESH = Math.max(1, parseInt(params.get("refresh") || "30", 10) || 30);
  var ROW_H = 36, OVERSCAN = 10;

  var $ = function (id) { return document.getElementById(id); };
  var state = {
    urls: [],          // /dashboard/urls items, with derived sort keys
    view: [],          // filtered + sorted
    sortKey: "name", sortDir: 1, query: "",
    span: "hour", pct: {},
    lastOk: 0, failing: false, timer: null, seq: 0,
    urlId: null, checksBefore: [], incCursor: [], chart: null, chartSpan: 24, series: null, rendered: false
  };

  function getJSON(path) {
    return fetch(path, { headers: { Accept: "application/json" }, cache: "no-store" })
      .then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (body) {
          if (!r.ok) {
            var e = new Error(path + ": " + r.status + " " + (body && body.error ? body.error : ""));
            e.status = r.status; e.body = body;
            throw e;
          }
          return body;
        });
      });
  }

  function text(el, s) { el.textContent = s; return el; }
  function el(tag, cls, s) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (s !== undefined && s !== null) e.textContent = s;
    return e;
  }
  function fmtInt(n) { return n === null || n === undefined ? "\u2013" : Number(n).toLocaleString("en-US"); }
  function fmtPct(p) { return p === null || p === undefined ? "\u2013" : p.toFixed(p === 100 ? 0 : 2) + "%"; }
  function fmtMs(n) { return n === undefined ? "\u2026" : n === null ? "\u2013" : String(n); }
  function fmtTime(iso) { return iso ? iso.replace("T", " ").replace(/\.\d+Z$/, "") : "\u2013"; }

  // ---- state of a URL: the alerting state (docs/alerting.md), not the latest check -----
  // up/down change after FAIL_THRESHOLD / SUCCESS_THRESHOLD checks in a row; a URL can be
  // up with a failed latest check (one flaky check) and down with a successful one.
  var CERT_WARN_DAYS = 14;   // CERT_EXPIRY_DAYS's default
  function urlState(u) { return u.state === "up" || u.state === "down" ? u.state : "unknown"; }
  // Whole days left, as GET /urls/{id}'s cert_days_left: floor(seconds left / 86400).
  function certDays(iso) {
    if (!iso) return null;
    var s = Math.trunc((Date.parse(iso) - Date.now()) / 1000);
    return Math.floor(s / 86400);
  }
  function fmtDur(sec) {
    if (sec === null || sec === undefined || isNaN(sec)) return "\u2013";
    sec = Math.max(0, Math.round(sec));
    if (sec < 60) return sec + " s";
    if (sec < 3600) return Math.floor(sec / 60) + " min";
    if (sec < 86400) return Math.floor(sec / 3600) + " h " + Math.floor(sec % 3600 / 60) + " min";
    return Math.floor(sec / 86400) + " d " + Math.floor(sec % 86400 / 3600) + " h";
  }
  function sinceText(iso) { return iso ? "for " + fmtDur((Date.now() - Date.parse(iso)) / 1000) : ""; }
  function certCell(days, iso) {
    var td = el("td", "num");
    if (days === null) { td.textContent = "\u2013"; return td; }
    td.textContent = days < 0 ? "expired" : days + " d";
    if (days < CERT_WARN_DAYS) td.className = "num " + (days < 0 ? "cert-bad" : "cert-warn");
    td.title = "certificate expires " + fmtTime(iso) + " UTC";
    return td;
  }
  function stateLabel(u) {
    var c = u.last_check;
    if (!c) return "no check yet";
    if (c.success) return (c.http_status ? c.http_status + " " : "") + c.response_ms + " ms";
    return (c.error_class || "failed") + (c.http_status ? " " + c.http_status : "");
  }

  // ---- freshness and health ---------------------------------------------------------
  function setBanner(msg) {
    var b = $("banner");
    if (msg) { b.textContent = msg; b.hidden = false; } else { b.hidden = true; b.textContent = ""; }
  }
  function showFreshness() {
    var f = $("freshness");
    if (!state.lastOk) { f.textContent = "Loading\u2026"; return; }
    var age = Math.round((Date.now() - state.lastOk) / 1000);
    var stale = state.failing || age > 2 * REFRESH + 5;
    f.textContent = (stale ? "Stale: " : "") + "updated " + new Date(state.lastOk).toISOString().slice(11, 19) +
      " UTC (" + age + " s ago), refresh every " + REFRESH + " s";
    f.classList.toggle("stale", stale);
  }
  function checkHealth() {
    return fetch("/healthz", { cache: "no-store" }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (h) {
        if (r.ok) return null;
        /* an error answer ({"error": "shutting down"} while the API stops), not the
         * components' states */
        if (typeof h.error === "string")
          return "The API answered " + r.status + ": " + h.error + ". Figures may be stale.";
        var down = Object.keys(h).filter(function (k) { return h[k] !== "ok"; });
        return "The API is unhealthy: " + (down.length ? down.join(", ") + " down" : "status " + r.status) +
          ". Figures may be stale.";
      });
    }).catch(function () { return "The API cannot be reached. Figures are stale."; });
  }

  // ---- overview -----------------------------------------------------------------------
  function renderSummary(sum) {
    var s = 0, f = 0;
    sum.forEach(function (e) { if (e.status === "success") s = e.count; else if (e.status === "fail") f = e.count; });
    text($("sum-total"), fmtInt(s + f));
    text($("sum-success"), fmtInt(s));
    text($("sum-fail"), fmtInt(f));
    text($("sum-rate"), s + f ? (100 * s / (s + f)).toFixed(2) + "%" : "\u2013");
  }
  function renderTop(id, list) {
    var ol = $(id);
    ol.textContent = "";
    if (!list.length) { ol.appendChild(el("li", "note", "none")); return; }
    list.forEach(function (e) {
      var li = el("li");
      li.appendChild(el("span", "name", e.name));
      li.appendChild(el("span", "n", fmtInt(e.count)));
      li.title = e.url;
      ol.appendChild(li);
    });
  }
  function renderCounts() {
    var n = { up: 0, down: 0, unknown: 0 };
    state.urls.forEach(function (u) { n[u._state]++; });
    text($("n-urls"), fmtInt(state.urls.length));
    text($("n-up"), fmtInt(n.up));
    text($("n-down"), fmtInt(n.down));
    text($("n-unknown"), fmtInt(n.unknown));
  }

  // ---- the table -----------------------------------------------------------------------
  // Sort keys are computed once per refresh: comparing lower-cased strings with < is far
  // cheaper than a locale collator over 10,000 rows.
  function cmpStr(a, b) { return a < b ? -1 : a > b ? 1 : 0; }
  var noPct = { p50: undefined, p95: undefined };  // not loaded yet: shown as "..."
  function prepare(items) {
    items.forEach(function (u) {
      u._state = urlState(u);
      u._since = u.since ? Date.parse(u.since) : null;
      u._cert = certDays(u.cert_expires_at);
      u._label = stateLabel(u);
      u._name = u.name.toLowerCase();
      u._url = u.url.toLowerCase();
      u._hay = u._name + " " + u._url;
      u.response_ms_24h = state.pct[u.id] || noPct;
    });
    return items;
  }
  var numKeys = {
    up24: function (u) { return u.uptime["24h"]; }, up7: function (u) { return u.uptime["7d"]; },
    up30: function (u) { return u.uptime["30d"]; }, p50: function (u) { return u.response_ms_24h.p50; },
    p95: function (u) { return u.response_ms_24h.p95; }, cert: function (u) { return u._cert; }
  };
  var stateRank = { down: 0, unknown: 1, up: 2 };   // then the longest in its state first
  function lastRank(u) { return u.last_check ? (u.last_check.success ? 2 : 0) : 1; }
  function compare(a, b) {
    var k = state.sortKey, d = state.sortDir, r;
    if (k === "name" || k === "url") r = cmpStr(a["_" + k], b["_" + k]);
    else if (k === "state") r = stateRank[a._state] - stateRank[b._state] || (a._since || 0) - (b._since || 0);
    else if (k === "last") r = lastRank(a) - lastRank(b) || cmpStr(a._label, b._label);
    else {
      var x = numKeys[k](a), y = numKeys[k](b);
      if (x == null && y == null) r = 0;
      else if (x == null) return 1;   // no data last, whatever the direction
      else if (y == null) return -1;
      else r = x - y;
    }
    return r * d || (a.id - b.id);
  }
  function applyView() {
    var q = state.query;
    state.view = q ? state.urls.filter(function (u) { return u._hay.indexOf(q) >= 0; }) : state.urls.slice();
    state.view.sort(compare);
    text($("count"), (q ? state.view.length.toLocaleString("en-US") + " of " : "") +
      state.urls.length.toLocaleString("en-US") + " URLs");
    renderRows(true);
  }
  function spark(u) {
    var ns = "http://www.w3.org/2000/svg", w = 120, h = 24;
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("class", "spark");
    svg.setAttribute("width", w); svg.setAttribute("height", h);
    svg.setAttribute("viewBox", "0 0 " + w + " " + h);
    svg.setAttribute("role", "img");
    var vals = u.hourly_ms, max = 0, pts = [];
    vals.forEach(function (v) { if (v !== null && v > max) max = v; });
    var step = (w - 4) / (vals.length - 1 || 1);   // 2 px margins: a point at either end shows whole
    vals.forEach(function (v, i) {
      if (v !== null) {
        var x = (2 + i * step).toFixed(1), y = (h - 2 - (max ? (v / max) * (h - 6) : 0)).toFixed(1);
        pts.push(x + "," + y);
        if ((i === 0 || vals[i - 1] === null) && (i === vals.length - 1 || vals[i + 1] === null)) {
          var c = document.createElementNS(ns, "circle");   // a lone point: a line would not show
          c.setAttribute("cx", x); c.setAttribute("cy", y); c.setAttribute("r", 2);
          svg.appendChild(c);
        }
      }
      if (u.hourly_fail[i] > 0) {
        var r = document.createElementNS(ns, "rect");
        r.setAttribute("class", "f");
        r.setAttribute("x", (1 + i * step).toFixed(1)); r.setAttribute("y", h - 3);
        r.setAttribute("width", 3); r.setAttribute("height", 3);
        svg.appendChild(r);
      }
    });
    var pl = document.createElementNS(ns, "polyline");
    pl.setAttribute("points", pts.join(" "));
    svg.appendChild(pl);
    var t = document.createElementNS(ns, "title");
    t.textContent = max ? "mean per hour, highest " + max + " ms" : "no checks in 24 h";
    svg.appendChild(t);
    svg.setAttribute("aria-label", t.textContent);
    return svg;
  }
  function rowFor(u) {
    var tr = document.createElement("tr");
    tr.dataset.id = u.id;
    var td = el("td"), a = el("a", null, u.name);
    a.href = "#/urls/" + u.id;
    td.appendChild(a); td.title = u.name; tr.appendChild(td);
    td = el("td", null, u.url); td.title = u.url; tr.appendChild(td);
    td = el("td");
    td.appendChild(el("span", "badge " + u._state, u._state));
    if (u.since) {
      td.appendChild(document.createTextNode(" " + sinceText(u.since)));
      td.title = u._state + " since " + fmtTime(u.since) + " UTC";
    }
    tr.appendChild(td);
    td = el("td", u.last_check && !u.last_check.success ? "fail-text" : null, u._label);
    if (u.last_check) td.title = fmtTime(u.last_check.checked_at) + " UTC" +
      (u.last_check.error_message ? ": " + u.last_check.error_message : "");
    tr.appendChild(td);
    tr.appendChild(el("td", "num", fmtPct(u.uptime["24h"])));
    tr.appendChild(el("td", "num", fmtPct(u.uptime["7d"])));
    tr.appendChild(el("td", "num", fmtPct(u.uptime["30d"])));
    tr.appendChild(el("td", "num", fmtMs(u.response_ms_24h.p50)));
    tr.appendChild(el("td", "num", fmtMs(u.response_ms_24h.p95)));
    tr.appendChild(certCell(u._cert, u.cert_expires_at));
    td = el("td"); td.appendChild(spark(u)); tr.appendChild(td);
    return tr;
  }
  function spacer(px) {
    var tr = el("tr", "spacer"), td = el("td");
    td.colSpan = 11; td.style.height = px + "px";
    tr.appendChild(td);
    return tr;
  }
  var lastRange = "";
  function renderRows(force) {
    var sc = $("scroller"), body = $("rows");
    var n = state.view.length;
    var first = Math.max(0, Math.floor(sc.scrollTop / ROW_H) - OVERSCAN);
    var last = Math.min(n, Math.ceil((sc.scrollTop + sc.clientHeight) / ROW_H) + OVERSCAN);
    var key = first + ":" + last + ":" + n;
    if (!force && key === lastRange) return;
    lastRange = key;
    var frag = document.createDocumentFragment();
    if (first > 0) frag.appendChild(spacer(first * ROW_H));
    for (var i = first; i < last; i++) frag.appendChild(rowFor(state.view[i]));
    if (last < n) frag.appendChild(spacer((n - last) * ROW_H));
    body.textContent = "";
    body.appendChild(frag);
  }
  function setSort(key) {
    if (state.sortKey === key) state.sortDir = -state.sortDir;
    else { state.sortKey = key; state.sortDir = 1; }
    document.querySelectorAll("table.urls th[data-key]").forEach(function (th) {
      th.setAttribute("aria-sort", th.dataset.key !== state.sortKey ? "none" : state.sortDir > 0 ? "ascending" : "descending");
    });
    applyView();
  }

  // p50/p95 come from their own route (the slow part of the data): the table is drawn
  // without them first and they are filled in when they arrive.
  function mergePercentiles(req) {
    return req.then(function (p) {
      var m = {};
      p.items.forEach(function (e) { m[e.id] = { p50: e.p50, p95: e.p95 }; });
      state.pct = m;
      state.urls.forEach(function (u) { u.response_ms_24h = m[u.id] || { p50: null, p95: null }; });
      applyView();
      if (!performance.getEntriesByName("urlmon:percentiles").length) performance.mark("urlmon:percentiles");
    });
  }
  // The table's data first, then the percentiles: the two answers are the heaviest the
  // API builds (after each compute run), and built together they slow each other down.
  function loadOverview() {
    var span = state.span;
    return Promise.all([
      getJSON("/urls/summary"), getJSON("/urls/top/fail/" + span), getJSON("/urls/top/success/" + span),
      getJSON("/dashboard/urls")
    ]).then(function (r) {
      renderSummary(r[0]);
      if (span === state.span) { renderTop("top-fail", r[1]); renderTop("top-success", r[2]); }
      state.urls = prepare(r[3].items);
      renderCounts();
      applyView();
      if (!state.rendered) {   // bench/ui_render.mjs measures the first render by this mark
        state.rendered = true;
        performance.mark("urlmon:first-render");
      }
      return mergePercentiles(getJSON("/dashboard/percentiles"));
    });
  }

  // ---- one URL ------------------------------------------------------------------------
  function kv(dl, pairs) {
    dl.textContent = "";
    pairs.forEach(function (p) {
      dl.appendChild(el("dt", null, p[0]));
      var dd = el("dd");
      if (p[1] instanceof Node) dd.appendChild(p[1]); else dd.textContent = p[1];
      dl.appendChild(dd);
    });
  }
  function msOrDash(v) { return v === null || v === undefined ? "\u2013" : v + " ms"; }
  function renderUrl(d) {
    text($("u-name"), d.name);
    document.title = d.name + " \u2013 urlmon";
    kv($("u-settings"), [["URL", d.url], ["Regex", d.regex || "none"], ["Active", d.active ? "yes" : "no"],
      ["Added", fmtTime(d.created)], ["Removed", d.deactivated ? fmtTime(d.deactivated) : "\u2013"], ["Id", String(d.id)],
      ["Down after", d.fail_threshold === null ? "FAIL_THRESHOLD failed checks (global)" : d.fail_threshold + " failed checks"],
      ["Up after", d.success_threshold === null ? "SUCCESS_THRESHOLD successes (global)" : d.success_threshold + " successes"]]);
    var st = urlState(d), days = d.cert_days_left;
    var cert = d.cert_expires_at ? el("span", days < 0 ? "cert-bad" : days < CERT_WARN_DAYS ? "cert-warn" : null,
      fmtTime(d.cert_expires_at) + " UTC (" + (days < 0 ? "expired " + -days + " d ago" : days + " days left") + ")") : "\u2013 (no https check yet)";
    kv($("u-state"), [["State", el("span", "badge " + st, st)],
      ["Since", d.since ? fmtTime(d.since) + " UTC" : "\u2013"], ["For", d.since ? fmtDur((Date.now() - Date.parse(d.since)) / 1000) : "\u2013"],
      ["Certificate expires", cert]]);
    var c = d.latest_check;
    if (!c) kv($("u-latest"), [["Result", "no check yet"]]);
    else {
      var badge = el("span", "badge " + (c.success ? "up" : "down"), c.success ? "up" : "down");
      kv($("u-latest"), [["Result", badge], ["Time", fmtTime(c.checked_at) + " UTC"],
        ["HTTP status", c.http_status === null ? "\u2013" : String(c.http_status)],
        ["Error", c.error_class ? c.error_class + (c.error_message ? ": " + c.error_message : "") : "none"],
        ["Total", msOrDash(c.response_ms)], ["DNS", msOrDash(c.dns_ms)], ["Connect", msOrDash(c.connect_ms)],
        ["TLS", msOrDash(c.tls_ms)], ["First byte", msOrDash(c.ttfb_ms)]]);
    }
    kv($("u-stats"), [["Uptime 24 h", fmtPct(d.uptime["24h"])], ["Uptime 7 d", fmtPct(d.uptime["7d"])],
      ["Uptime 30 d", fmtPct(d.uptime["30d"])], ["p50, 24 h", msOrDash(d.response_ms_24h.p50)],
      ["p95, 24 h", msOrDash(d.response_ms_24h.p95)], ["Successful checks, 24 h", fmtInt(d.response_ms_24h.samples)]]);
  }
  function bucketClass(b) {
    if (!b.success && !b.fail) return "none";
    if (!b.fail) return "ok";
    return b.success ? "part" : "bad";
  }
  function strip(title, buckets, key) {
    var wrap = el("div");
    wrap.appendChild(el("h4", null, title));
    var s = el("div", "strip");
    s.setAttribute("role", "img");
    var bad = buckets.filter(function (b) { return b.fail > 0; }).length;
    s.setAttribute("aria-label", title + ": " + bad + " of " + buckets.length + " periods with failures");
    buckets.forEach(function (b) {
      var sp = el("span", bucketClass(b));
      sp.title = fmtTime(b[key]) + ": " + b.success + " ok, " + b.fail + " failed";
      s.appendChild(sp);
    });
    wrap.appendChild(s);
    return wrap;
  }
  function renderSeries(s) {
    state.series = s;
    var box = $("u-strips");
    box.textContent = "";
    box.appendChild(strip("24 hours (hourly)", s.hourly.slice(-24), "hour"));
    box.appendChild(strip("7 days (hourly)", s.hourly, "hour"));
    box.appendChild(strip("30 days (daily)", s.daily, "day"));
    drawChart();
  }
  // Chart.js is loaded when a URL's page first needs it, not with the overview.
  var chartScript = null;
  function drawChart() {
    var s = state.series;
    if (!s) return;
    if (typeof Chart === "undefined") {
      if (!chartScript) {
        chartScript = document.createElement("script");
        chartScript.src = "/ui/chart.min.js";
        chartScript.addEventListener("load", drawChart);
        document.head.appendChild(chartScript);
      }
      return;
    }
    var pts = s.hourly.slice(-state.chartSpan);
    var labels = pts.map(function (b) { return b.hour.slice(5, 13).replace("T", " ") + "h"; });
    var data = pts.map(function (b) { return b.avg_ms; });
    if (state.chart) {
      state.chart.data.labels = labels;
      state.chart.data.datasets[0].data = data;
      state.chart.update("none");
      return;
    }
    state.chart = new Chart($("u-chart"), {
      type: "line",
      data: { labels: labels, datasets: [{ label: "mean response time (ms)", data: data, borderColor: "#0969da",
        backgroundColor: "rgba(9,105,218,0.15)", fill: true, spanGaps: false, pointRadius: 2, tension: 0.2 }] },
      options: { animation: false, responsive: true, maintainAspectRatio: false,
        scales: { y: { beginAtZero: true, title: { display: true, text: "ms" } },
          x: { title: { display: true, text: "hour (UTC)" }, ticks: { maxTicksLimit: 12 } } },
        plugins: { legend: { display: false } } }
    });
  }
  function renderChecks(page) {
    var body = $("u-checks");
    body.textContent = "";
    page.items.forEach(function (c) {
      var tr = el("tr");
      tr.appendChild(el("td", null, fmtTime(c.checked_at)));
      var td = el("td");
      td.appendChild(el("span", "badge " + (c.success ? "up" : "down"), c.success ? "ok" : "failed"));
      tr.appendChild(td);
      tr.appendChild(el("td", null, c.http_status === null ? "\u2013" : String(c.http_status)));
      [c.response_ms, c.dns_ms, c.connect_ms, c.tls_ms, c.ttfb_ms].forEach(function (v) { tr.appendChild(el("td", "num", fmtMs(v))); });
      tr.appendChild(el("td", "err", c.error_class ? c.error_class + (c.error_message ? ": " + c.error_message : "") : ""));
      body.appendChild(tr);
    });
    if (!page.items.length) {
      var tr = el("tr"), td = el("td", "note", "no checks");
      td.colSpan = 9; tr.appendChild(td); body.appendChild(tr);
    }
    $("u-older").disabled = !page.next_before;
    $("u-older").dataset.before = page.next_before || "";
    $("u-newer").disabled = state.checksBefore.length === 0;
  }
  // The URL's incidents (GET /urls/{id}/incidents): a page of INC_PAGE, newest first.
  var INC_PAGE = 10;
  function renderIncidents(page) {
    var ul = $("u-incidents");
    ul.textContent = "";
    page.items.forEach(function (x) {
      var li = el("li");
      li.dataset.id = x.id;
      li.appendChild(el("span", "badge " + (x.state === "open" ? "down" : "unknown"), x.state));
      var what = x.kind === "down" ? "down" : "certificate expiring (" + fmtTime(x.cert_expires_at) + " UTC)";
      var err = x.kind === "down" && x.error_class ? ": " + x.error_class + (x.error_message ? " (" + x.error_message + ")" : "") : "";
      li.appendChild(document.createTextNode(" " + what + " from " + fmtTime(x.opened_at) + " UTC" +
        (x.closed_at ? " to " + fmtTime(x.closed_at) + " UTC, " + fmtDur(x.duration_s) : ", still open after " + fmtDur(x.duration_s)) + err));
      ul.appendChild(li);
    });
    if (!page.items.length) ul.appendChild(el("li", "note", state.incCursor.length ? "no older incidents" : "none"));
    $("u-inc-older").disabled = !page.next_cursor;
    $("u-inc-older").dataset.cursor = page.next_cursor || "";
    $("u-inc-newer").disabled = state.incCursor.length === 0;
  }
  function loadUrl() {
    var id = state.urlId, before = state.checksBefore[state.checksBefore.length - 1];
    var cursor = state.incCursor[state.incCursor.length - 1];
    return Promise.all([
      getJSON("/urls/" + id), getJSON("/dashboard/urls/" + id),
      getJSON("/urls/" + id + "/checks?limit=20" + (before ? "&before=" + before : "")),
      getJSON("/urls/" + id + "/incidents?limit=" + INC_PAGE + (cursor ? "&cursor=" + cursor : ""))
    ]).then(function (r) {
      if (id !== state.urlId) return;
      renderUrl(r[0]);
      renderSeries(r[1]);
      renderChecks(r[2]);
      renderIncidents(r[3]);
    }, function (e) {
      if (e.status === 404) { text($("u-name"), "No URL with id " + id); return; }
      throw e;
    });
  }

  // ---- refresh loop and routing ------------------------------------------------------------
  function refresh() {
    var seq = ++state.seq;
    clearTimeout(state.timer);
    var work = state.urlId ? loadUrl() : loadOverview();
    return Promise.all([work.then(function () { return null; }, function (e) { return e; }), checkHealth()])
      .then(function (r) {
        if (seq !== state.seq) return;
        state.failing = !!r[0];
        if (!r[0]) state.lastOk = Date.now();
        setBanner(r[1] || (r[0] ? "Refresh failed: " + r[0].message : null));
        showFreshness();
        document.body.dataset.refreshes = String((parseInt(document.body.dataset.refreshes || "0", 10)) + 1);
        state.timer = setTimeout(refresh, REFRESH * 1000);
      });
  }
  function route() {
    var m = /^#\/urls\/(\d+)$/.exec(window.location.hash);
    var id = m ? m[1] : null;
    if (id !== state.urlId) {
      state.urlId = id;
      state.checksBefore = [];
      state.incCursor = [];
      if (state.chart) { state.chart.destroy(); state.chart = null; }
      state.series = null;
    }
    $("view-overview").hidden = !!id;
    $("view-url").hidden = !id;
    if (!id) document.title = "urlmon";
    refresh().then(function () { if (id) $("main").focus(); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    $("scroller").addEventListener("scroll", function () { renderRows(false); }, { passive: true });
    window.addEventListener("resize", function () { renderRows(false); });
    var pending = null;
    $("search").addEventListener("input", function (ev) {
      clearTimeout(pending);
      pending = setTimeout(function () {
        state.query = ev.target.value.trim().toLowerCase();
        $("scroller").scrollTop = 0;
        applyView();
      }, 80);
    });
    document.querySelectorAll("table.urls th[data-key] button").forEach(function (b) {
      b.addEventListener("click", function () { setSort(b.parentNode.dataset.key); });
    });
    document.querySelectorAll("[data-span]").forEach(function (b) {
      b.addEventListener("click", function () {
        state.span = b.dataset.span;
        document.querySelectorAll("[data-span]").forEach(function (o) { o.setAttribute("aria-pressed", String(o === b)); });
        refresh();
      });
    });
    document.querySelectorAll("[data-cspan]").forEach(function (b) {
      b.addEventListener("click", function () {
        state.chartSpan = parseInt(b.dataset.cspan, 10);
        document.querySelectorAll("[data-cspan]").forEach(function (o) { o.setAttribute("aria-pressed", String(o === b)); });
        drawChart();
      });
    });
    $("u-older").addEventListener("click", function () {
      if ($("u-older").dataset.before) { state.checksBefore.push($("u-older").dataset.before); refresh(); }
    });
    $("u-newer").addEventListener("click", function () { state.checksBefore = []; refresh(); });
    $("u-inc-older").addEventListener("click", function () {
      if ($("u-inc-older").dataset.cursor) { state.incCursor.push($("u-inc-older").dataset.cursor); refresh(); }
    });
    $("u-inc-newer").addEventListener("click", function () { state.incCursor = []; refresh(); });
    setInterval(showFreshness, 1000);
    window.addEventListener("hashchange", route);
    route();
  });
})();
