"""A toy long-running service: HTTP on 127.0.0.1:<port>; ``GET /grow?mb=N`` allocates N MiB in 8 MiB steps.

Usage: ``python3 server.py <name> <port>``. Logs to stdout (the container log).
"""

import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

NAME, PORT = sys.argv[1], int(sys.argv[2])
HELD: list[bytes] = []


def grow(mb: int) -> None:
    for step in range(1, mb // 8 + 1):
        HELD.append(b"\x01" * (8 << 20))  # touched pages: counted by the memory cgroup
        print(f"{NAME}: holding {step * 8} MiB", flush=True)
        time.sleep(0.02)
    print(f"{NAME}: grew by {mb} MiB and survived", flush=True)


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        url = urlparse(self.path)
        if url.path == "/grow":
            mb = int(parse_qs(url.query).get("mb", ["256"])[0])
            print(f"{NAME}: asked to grow by {mb} MiB", flush=True)
            threading.Thread(target=grow, args=(mb,), daemon=True).start()
        body = f"{NAME} ok\n".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:  # the 1 s health probes would flood the log
        pass


print(f"{NAME}: listening on 127.0.0.1:{PORT}", flush=True)
ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
