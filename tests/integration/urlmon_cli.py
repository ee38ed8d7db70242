#!/usr/bin/env python3
"""Integration: the urlmon command line (argv[1]) against the real API and stack.

Every command (add, remove, set, list, show, --help, --version) and the error paths:
usage errors exit 2 without a request, a refused request exits 1 with the API's message
(bad period, unknown id, missing token), an API that is down exits 1 naming its address.
The URLs added are stored by a real compute run and checked in MySQL.
"""
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_lib import Api, check, eq, free_port, mysql, reset, run_tests  # noqa: E402

CLI = None
API = None
TOKEN = "cli-token"
TARGET = "http://127.0.0.1:9/"  # never answered: the checks fail fast, nothing else matters


def urlmon(*args, token=TOKEN, api=None):
    env = dict(os.environ)
    env["URLMON_API"] = api or "http://127.0.0.1:%d" % API.port
    env.pop("API_TOKEN", None)
    if token:
        env["API_TOKEN"] = token
    p = subprocess.run([CLI] + list(args), capture_output=True, text=True, env=env, timeout=60)
    return p.returncode, p.stdout, p.stderr


def ok(*args, **kw):
    rc, out, err = urlmon(*args, **kw)
    eq(rc, 0, "urlmon %s (stderr %r)" % (" ".join(args), err))
    check(TOKEN not in out + err, "the token is never printed")
    return out


def fails(code, must, *args, **kw):
    rc, out, err = urlmon(*args, **kw)
    eq(rc, code, "urlmon %s: exit status (stdout %r, stderr %r)" % (" ".join(args), out, err))
    check(must in err, "urlmon %s: stderr %r lacks %r" % (" ".join(args), err, must))
    eq(out, "", "urlmon %s: nothing on stdout" % " ".join(args))


def compute_run():
    p = subprocess.run([os.environ["URLMON_COMPUTE_BIN"], "--interval", "1"],
                       capture_output=True, text=True, timeout=300,
                       env=dict(os.environ, TIMEOUT="2", CONNECT_TIMEOUT="1"))
    eq(p.returncode, 0, "urlmon-compute run (stderr: %s)" % p.stderr[-2000:])
    time.sleep(1.1)


def url_row(url):
    rows = mysql("SELECT id, name, IFNULL(regex, 'NULL'), check_interval, active FROM urls"
                 " WHERE url = '%s'" % url)
    eq(len(rows), 1, "one row for %s" % url)
    return rows[0]


def test_help_and_usage():
    out = ok("--help")
    check("add URL" in out and "URLMON_API" in out, "general help: %r" % out)
    for cmd in ("add", "remove", "set", "list", "show"):
        out = ok(cmd, "--help")
        check(out.startswith("usage: urlmon " + cmd), "%s --help: %r" % (cmd, out))
    out = ok("--version")
    check(out.startswith("urlmon "), "--version: %r" % out)
    # usage errors are found before any request: even with no API they exit 2 with the usage
    dead = "http://127.0.0.1:%d" % free_port()
    fails(2, "a command is required", api=dead)
    fails(2, "unknown command \"frob\"", "frob", api=dead)
    fails(2, "--period: \"abc\" is not a whole number of seconds", "add", TARGET, "-p", "abc",
          api=dead)
    fails(2, "add: URL is required", "add", api=dead)
    fails(2, "set: nothing to change", "set", "5", api=dead)
    fails(2, "set: \"x\" is not an ID", "set", "x", "--name", "n", api=dead)
    fails(2, "list: unknown option --name", "list", "--name", "n", api=dead)
    fails(2, "is not an http:// or https:// URL", "list", api="ftp://nowhere")


def test_add_list_show():
    reset()
    out = ok("add", TARGET + "a", "--name", "Alpha", "-p", "30", "-r", "ok")
    check(out.startswith("queued: Alpha %sa (interval 30 s, regex ok)" % TARGET), out)
    out = ok("add", TARGET + "b")  # name defaults to the URL, interval to 600
    check("queued: %sb %sb" % (TARGET, TARGET) in out, out)
    j = json.loads(ok("add", "HTTP://127.0.0.1:9/c", "--name", "Gamma", "--period=60", "--json"))
    eq((j["status"], j["url"], j["interval"]), ("queued", TARGET + "c", 60), "--json answer")
    compute_run()
    eq(url_row(TARGET + "a")[1:], ["Alpha", "ok", "30", "1"], "add stored")
    eq(url_row(TARGET + "b")[1:], [TARGET + "b", "NULL", "600", "1"], "defaults stored")
    eq(url_row(TARGET + "c")[1:], ["Gamma", "NULL", "60", "1"], "canonical URL stored")
    ida = url_row(TARGET + "a")[0]

    out = ok("list")
    lines = out.splitlines()
    eq(lines[0].split(), ["ID", "INTERVAL", "NAME", "URL"], "table header")
    eq(len(lines), 4, "three URLs: %r" % out)
    row = [ln for ln in lines if ln.split()[0] == ida][0]
    eq(row.split(), [ida, "30", "s", "Alpha", TARGET + "a"], "row")
    check({ln.rindex(TARGET) for ln in lines[1:]} == {lines[0].index("URL")},
          "URL column aligned: %r" % out)
    doc = json.loads(ok("list", "--json"))
    eq(sorted(i["name"] for i in doc["items"]), sorted(["Alpha", TARGET + "b", "Gamma"]),
       "list --json")

    out = ok("show", ida)
    for want in ("name:         Alpha", "interval:     30 s", "regex:        ok", "latest check:",
                 "uptime:", "response 24h:"):
        check(want in out, "show lacks %r: %r" % (want, out))
    out2 = ok("show", "HTTP://127.0.0.1:9/a#frag")  # by URL, any spelling of it
    eq(out2, out, "show by URL = show by ID")
    doc = json.loads(ok("show", ida, "--json"))
    eq((doc["name"], doc["interval"]), ("Alpha", 30), "show --json")
    check("uptime" in doc and "response_ms_24h" in doc, "the API's JSON as is")


def test_set():
    ida = url_row(TARGET + "a")[0]
    out = ok("set", ida, "--period", "45", "--regex", "", "--name", "Alpha 2")
    check("interval:     45 s" in out and "regex:        -" in out, "set prints the URL: %r" % out)
    eq(url_row(TARGET + "a")[1:], ["Alpha 2", "NULL", "45", "1"], "set in MySQL")
    doc = json.loads(ok("set", ida, "-p", "90", "--json"))
    eq((doc["interval"], doc["name"]), (90, "Alpha 2"), "set changes only what it names")
    fails(1, "interval: is out of range (expected whole seconds from 5 to 86400)",
          "set", ida, "-p", "4")
    fails(1, "id: no such URL", "set", "987654321", "-p", "60")
    fails(1, "regex:", "set", ida, "-r", "(")
    fails(1, "authorization: a bearer token is required", "set", ida, "-p", "60", token=None)
    eq(url_row(TARGET + "a")[3], "90", "refused changes changed nothing")


def test_add_errors():
    fails(1, "interval: is out of range (expected whole seconds from 5 to 86400)",
          "add", TARGET + "d", "-p", "1")
    fails(1, "url:", "add", "ftp://x.example/")
    fails(1, "authorization: the bearer token is not valid", "add", TARGET + "d", token="wrong")
    eq(mysql("SELECT COUNT(*) FROM urls WHERE url = '%sd'" % TARGET), [["0"]], "nothing added")


def test_remove_and_readd():
    idb = url_row(TARGET + "b")[0]
    out = ok("remove", TARGET + "b")
    check(out.startswith("removed: %s " % idb), "remove by URL: %r" % out)
    eq(url_row(TARGET + "b")[4], "0", "deactivated")
    out = ok("list")
    check(TARGET + "b" not in out, "list hides removed URLs: %r" % out)
    out = ok("list", "--all")
    check("ACTIVE" in out.splitlines()[0] and TARGET + "b" in out, "list --all: %r" % out)
    idc = url_row(TARGET + "c")[0]
    doc = json.loads(ok("remove", idc, "--json"))
    eq(doc["active"], False, "remove by ID --json")
    fails(1, "id: no such URL", "remove", "987654321")
    fails(1, "is not monitored", "remove", TARGET + "zzz")
    fails(1, "id: no such URL", "show", "987654321")
    fails(1, "authorization", "remove", url_row(TARGET + "a")[0], token=None)
    # adding a removed URL again reactivates that row
    ok("add", TARGET + "b", "--name", "Beta back", "-p", "120")
    compute_run()
    eq(url_row(TARGET + "b"), [idb, "Beta back", "NULL", "120", "1"], "re-added: same row")


def test_api_down():
    port = free_port()
    for args in (["list"], ["show", "1"], ["add", TARGET + "e"], ["set", "1", "-p", "60"],
                 ["remove", "1"]):
        fails(1, "cannot reach the API at http://127.0.0.1:%d" % port, *args,
              api="http://127.0.0.1:%d/" % port)


def main():
    global CLI, API
    CLI = sys.argv[1]
    reset()
    API = Api(API_TOKEN=TOKEN)
    try:
        run_tests([test_help_and_usage, test_add_list_show, test_set, test_add_errors,
                   test_remove_and_readd, test_api_down])
    finally:
        API.stop_checked()


if __name__ == "__main__":
    main()
