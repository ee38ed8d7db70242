"""tests/integration/ui_lib.py: real check data for the dashboard's tests.

Target starts the project's target server (urlmon-target, tests/target/) twice on free
loopback ports: one serves every URL but one, the other serves the URL that is to go
from up to down, so stopping it makes that URL's next check fail (connect refused)
while the rest answer as before. The URLs reach MySQL the way users add them, through
urlmon-compute --data-path, and every check is made by a real compute run.
"""
import os
import shutil
import subprocess
import tempfile
import time

from api_lib import Failure, eq

TARGET_BIN = os.environ.get("URLMON_TARGET_BIN", "")
# A compute run checks only the URLs due in its slot (docs/compute.md). The URLs here get a
# 1-second check interval (MIN_INTERVAL=1 allows it) and every run has a 1-second slot of
# its own, so each run checks every URL, as the tests count on. Set here so the compute
# runs of the browser test (started by ui_browser.mjs) see it too.
os.environ["MIN_INTERVAL"] = "1"
COMPUTE_BIN = os.environ.get("URLMON_COMPUTE_BIN", "")


def start_target(tmp, tag):
    ready = os.path.join(tmp, "%s.ready" % tag)
    log = open(os.path.join(tmp, "%s.log" % tag), "w")
    p = subprocess.Popen([TARGET_BIN, "--listen", "127.0.0.1:0", "--ready-file", ready],
                         stdout=log, stderr=log)
    deadline = time.time() + 10
    while time.time() < deadline:
        if os.path.exists(ready):
            for line in open(ready):
                if line.startswith("listen "):
                    return p, int(line.split(":")[-1])
        if p.poll() is not None:
            raise Failure("urlmon-target exited with %s" % p.returncode)
        time.sleep(0.05)
    p.kill()
    raise Failure("urlmon-target not ready within 10 s")


def compute_run(csv=None):
    """One compute run over every active URL (a new one-second slot each time; the URLs'
    1 s interval, set by load_csv, makes each of them due in it)."""
    cmd = [COMPUTE_BIN, "--interval", "1"] + (["--data-path", csv] if csv else [])
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    eq(p.returncode, 0, "urlmon-compute run (stderr: %s)" % p.stderr[-2000:])
    time.sleep(1.1)


class Target:
    """urls: [name, path] pairs; the one named `flip` is served by its own target."""

    def __init__(self, *urls, flip="half"):
        self.tmp = tempfile.mkdtemp(prefix="urlmon-ui-")
        self.main, self.port = start_target(self.tmp, "main")
        self.flip, self.flip_port = start_target(self.tmp, "flip")
        self.flip_name = flip
        self.urls = [(n, "http://127.0.0.1:%d%s" % (self.flip_port if n == flip else self.port, p))
                     for n, p in urls]

    def load_csv(self):
        """Adds the URLs with the first compute run (name,url,regex,interval CSV)."""
        csv = os.path.join(self.tmp, "urls.csv")
        with open(csv, "w") as f:
            f.write("name,url,regex,interval\n")
            for n, u in self.urls:
                f.write('"%s",%s,,1\n' % (n.replace('"', '""'), u))
        compute_run(csv)

    def set_half_failing(self):
        """Stops the flip target: its URL's next check fails (connect refused)."""
        if self.flip.poll() is None:
            self.flip.terminate()
            self.flip.wait(timeout=15)

    def stop(self):
        for p in (self.main, self.flip):
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)
