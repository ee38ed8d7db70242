#!/usr/bin/env python3
"""tests/integration/alert_receiver.py: a webhook receiver for the alerting tests.

    alert_receiver.py PORT LOG [--status N] [--hang]

Answers every POST with status N (default 200) after appending one JSON line to LOG:
{"path", "event", "signature", "body"}. --hang: accept and never answer (a receiver
that hangs). Prints "ready" once listening. SIGTERM stops it.
"""
import http.server
import json
import signal
import sys
import time


def main():
    port, log = int(sys.argv[1]), sys.argv[2]
    status = int(sys.argv[sys.argv.index("--status") + 1]) if "--status" in sys.argv else 200
    hang = "--hang" in sys.argv

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's naming)
            if hang:
                time.sleep(3600)
                return
            n = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(n).decode("utf-8")
            with open(log, "a", encoding="utf-8") as f:
                f.write(json.dumps({"path": self.path,
                                    "event": self.headers.get("X-Urlmon-Event"),
                                    "signature": self.headers.get("X-Urlmon-Signature"),
                                    "body": body}) + "\n")
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
    srv.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print("ready", flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
