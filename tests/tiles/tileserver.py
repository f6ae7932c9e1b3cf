#!/usr/bin/python3
"""tileserver.py: a loopback XYZ tile server for the tiles tests.

Serves DIR/{z}/{x}/{y}.png on 127.0.0.1 at a free port (written to
PORTFILE once listening), logs every request path with its User-Agent and
whether an Authorization-like header came, and can misbehave on purpose:

  --fail500 N    answer 500 to every Nth tile request (N >= 1)
  --hang X/Y     never answer tile requests whose path contains X/Y
  --delay S      wait S seconds before each tile answer
  --port P       this port (again after a restart; default a free one)

Never binds anything but 127.0.0.1.
"""
import argparse
import http.server
import os
import sys
import threading
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("portfile")
    ap.add_argument("logfile")
    ap.add_argument("--fail500", type=int, default=0)
    ap.add_argument("--hang", default="")
    ap.add_argument("--delay", type=float, default=0.0)
    ap.add_argument("--port", type=int, default=0)
    a = ap.parse_args()
    lock = threading.Lock()
    count = [0]
    root = os.path.abspath(a.dir)

    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_GET(self):
            path = self.path.split("?", 1)[0]
            with lock:
                count[0] += 1
                n = count[0]
                with open(a.logfile, "a") as f:
                    f.write("%s\t%s\t%s\n" % (path, self.headers.get("User-Agent", ""),
                                              self.headers.get("X-Api-Key", "")))
            if a.hang and a.hang in path:
                time.sleep(3600)
                return
            if a.delay:
                time.sleep(a.delay)
            if a.fail500 and n % a.fail500 == 0:
                self.send_response(500)
                self.end_headers()
                return
            full = os.path.normpath(os.path.join(root, path.lstrip("/")))
            if not full.startswith(root + os.sep) or not os.path.isfile(full):
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            with open(full, "rb") as f:
                data = f.read()
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", a.port), H)
    srv.daemon_threads = True
    with open(a.portfile + ".tmp", "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(a.portfile + ".tmp", a.portfile)
    srv.serve_forever()


if __name__ == "__main__":
    sys.exit(main())
