"""Per-service memory against the catalogue's budget, as Prometheus metrics.

``python -m lakehouse.monitoring.memory_exporter`` serves ``/metrics`` on
``127.0.0.1:<ports.process_exporter>``. Each scrape asks the embedded runner for the status of
every catalogue service (supervisord's pid, then the process tree's RSS with psutil) and reads
the budgets from the catalogue itself, so a budget is declared once (``memory_mb``):

* ``lakehouse_service_memory_budget_bytes{service,profile}``: every service of the catalogue;
* ``lakehouse_service_memory_bytes{service,profile}``: process-tree RSS of each running service;
* ``lakehouse_service_running{service,profile}``: 1 while the process runs (one-shots: 0 once done);
* ``lakehouse_service_cgroup_memory_bytes{service,profile}``: cgroup usage, where the runner
  puts services in memory cgroups.

``lakehouse_service_memory_bytes / lakehouse_service_memory_budget_bytes`` is the budget use.
"""

from __future__ import annotations

import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from contract.lifecycle import ServiceStatus
from lakehouse.runner import cgroup
from lakehouse.runner.embedded import EmbeddedBackend
from lakehouse.settings import Settings

# Scrapes closer together than this reuse the last answer (status walks every process tree).
CACHE_S = 0.5


def _number(value: float) -> str:
    """Exact integers (byte counts), not ``%g``'s six digits."""
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _labels(st: ServiceStatus) -> str:
    return f'{{service="{st.name}",profile="{st.profile}"}}'


def render(statuses: list[ServiceStatus], cgroup_usage: dict[str, int] | None = None) -> str:
    """The exposition text for ``statuses`` (pure; the unit tests call it directly)."""
    cgroup_usage = cgroup_usage or {}
    out: list[str] = []

    def family(name: str, help_text: str, samples: list[tuple[ServiceStatus, float]]) -> None:
        out.append(f"# HELP {name} {help_text}")
        out.append(f"# TYPE {name} gauge")
        out.extend(f"{name}{_labels(st)} {_number(value)}" for st, value in samples)

    family(
        "lakehouse_service_memory_budget_bytes",
        "The service's memory budget (memory_mb in the service catalogue).",
        [(st, st.memory_budget_mb * 2**20) for st in statuses if st.memory_budget_mb],
    )
    family(
        "lakehouse_service_memory_bytes",
        "Resident memory of the service's process tree.",
        [(st, st.rss_bytes) for st in statuses if st.rss_bytes],
    )
    family(
        "lakehouse_service_running",
        "1 while the service's process runs.",
        [(st, 1.0 if st.pid and st.state == "RUNNING" else 0.0) for st in statuses],
    )
    family(
        "lakehouse_service_cgroup_memory_bytes",
        "Memory charged to the service's cgroup (where the runner uses cgroups).",
        [(st, cgroup_usage[st.name]) for st in statuses if st.name in cgroup_usage],
    )
    return "\n".join(out) + "\n"


class Collector:
    def __init__(self, settings: Settings):
        self.backend = EmbeddedBackend(settings)
        self.settings = settings
        self._lock = threading.Lock()
        self._text = ""
        self._at = 0.0

    def text(self) -> str:
        with self._lock:
            if time.monotonic() - self._at > CACHE_S:
                statuses = self.backend.status()
                usage: dict[str, int] = {}
                for st in statuses:
                    group = cgroup.group_dir(self.settings.state_dir, st.name)
                    if st.pid and group is not None and group.exists():
                        value = cgroup.read(group).get("usage")
                        if value is not None:
                            usage[st.name] = int(value)
                self._text = render(statuses, usage)
                self._at = time.monotonic()
            return self._text


def serve(settings: Settings) -> ThreadingHTTPServer:
    collector = Collector(settings)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?", 1)[0].rstrip("/")
            if path != "/metrics":
                self._send(404, f"unknown path {path}; metrics are at /metrics\n")
                return
            try:
                self._send(200, collector.text())
            except Exception as error:  # a scrape error must reach Prometheus' lastError, not kill the server
                self._send(500, f"collecting failed: {error}\n")

        def _send(self, status: int, body: str) -> None:
            data = body.encode()
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer((settings.host, settings.ports["process_exporter"]), Handler)
    server.daemon_threads = True
    return server


def main() -> int:
    settings = Settings.load()
    server = serve(settings)
    print(f"memory exporter on http://{settings.host}:{settings.ports['process_exporter']}/metrics", flush=True)
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
