"""Network exposure of the platform's services: the sockets each service's processes listen on.

Read from Linux ``/proc`` (stdlib only): the service's process tree (the backend's pid and its
descendants), each process's socket inodes (``/proc/<pid>/fd``) and the socket tables of its network
namespace (``/proc/<pid>/net/{tcp,tcp6,udp,udp6}``). A TCP socket counts when it is in ``LISTEN``; a UDP
socket when it is unconnected and bound to a fixed port (an unconnected UDP socket on a wildcard
address and an ephemeral port is a client's, e.g. a StatsD sender's, and is left out).

Only the embedded backend runs the services as local processes in the host's network namespace;
on any other backend the keywords fail with that reason rather than pass on sockets they cannot see.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from robot.api import logger
from robot.api.deco import keyword

from contract.platform import closure
from lhkit import htmllog

from .context import PlatformComponent

AREA = "Platform"
PROC = Path("/proc")
TCP_LISTEN = "0A"
UDP_UNCONNECTED = "07"
# The contract endpoint each service serves (field of the target, service name of the catalogue).
ENDPOINT_FIELDS = {
    "kafka": "kafka_bootstrap",
    "schema-registry": "schema_registry_url",
    "s3": "s3_endpoint",
    "bronze-streaming": "streaming_metrics_url",
    "airflow-api-server": "airflow_url",
    "prometheus": "prometheus_url",
    "alertmanager": "alertmanager_url",
    "superset": "superset_url",
}


@dataclass(frozen=True)
class ListeningSocket:
    service: str
    pid: int
    process: str
    protocol: str
    address: str
    port: int

    @property
    def loopback(self) -> bool:
        return is_loopback(self.address)

    def __str__(self) -> str:
        host = f"[{self.address}]" if ":" in self.address else self.address
        return f"{self.protocol} {host}:{self.port} (pid {self.pid} {self.process})"


def is_loopback(address: str) -> bool:
    """True for 127.0.0.0/8, ::1 and IPv4-mapped loopback (``::ffff:127.0.0.1``, how Java binds)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_loopback


def decode_address(hex_address: str) -> tuple[str, int]:
    """``0100007F:1F90`` → ``("127.0.0.1", 8080)``: /proc/net's host-order 32-bit words, hex port."""
    host, port = hex_address.split(":")
    raw = bytes.fromhex(host)
    ip = ipaddress.ip_address(b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4)))
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return f"::ffff:{ip.ipv4_mapped}", int(port, 16)
    return str(ip), int(port, 16)


def parse_socket_table(text: str, protocol: str) -> dict[int, tuple[str, int, str]]:
    """Rows of a ``/proc/<pid>/net/<protocol>`` table: inode → (address, port, state)."""
    rows: dict[int, tuple[str, int, str]] = {}
    for line in text.splitlines()[1:]:
        cells = line.split()
        if len(cells) < 10:
            continue
        address, port = decode_address(cells[1])
        rows[int(cells[9])] = (address, port, cells[3])
    return rows


def _ephemeral_ports() -> range:
    try:
        low, high = (int(v) for v in (PROC / "sys/net/ipv4/ip_local_port_range").read_text().split())
    except (OSError, ValueError):
        low, high = 32768, 60999
    return range(low, high + 1)


def is_listening(protocol: str, address: str, port: int, state: str, ephemeral: range) -> bool:
    if protocol.startswith("tcp"):
        return state == TCP_LISTEN
    if state != UDP_UNCONNECTED or port == 0:
        return False
    wildcard = ipaddress.ip_address(address).is_unspecified
    return not (wildcard and port in ephemeral)


def process_tree(pid: int) -> list[int]:
    """``pid`` and all its descendants (from ``/proc/*/stat``)."""
    children: dict[int, list[int]] = {}
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, ()))
    return tree


def socket_inodes(pid: int) -> set[int]:
    found = set()
    for fd in os.listdir(PROC / str(pid) / "fd"):
        try:
            link = os.readlink(PROC / str(pid) / "fd" / fd)
        except OSError:  # closed meanwhile
            continue
        if link.startswith("socket:["):
            found.add(int(link[8:-1]))
    return found


def listening_sockets(service: str, pid: int) -> list[ListeningSocket]:
    """Every listening socket of the process tree of ``pid``."""
    ephemeral = _ephemeral_ports()
    found: dict[int, ListeningSocket] = {}  # by inode: a socket shared by a parent and its workers counts once
    for member in sorted(process_tree(pid)):
        try:
            inodes = socket_inodes(member)
            process = (PROC / str(member) / "comm").read_text().strip()
            tables = {
                proto: parse_socket_table((PROC / str(member) / "net" / proto).read_text(), proto)
                for proto in ("tcp", "tcp6", "udp", "udp6")
            }
        except FileNotFoundError:  # the process ended meanwhile
            continue
        except PermissionError as error:
            raise AssertionError(
                f"Cannot read the sockets of '{service}' (pid {member}): {error}. The tests must run as the "
                "user that runs the platform (or root)."
            ) from None
        for proto, table in tables.items():
            for inode in inodes & table.keys():
                address, port, state = table[inode]
                if inode not in found and is_listening(proto, address, port, state, ephemeral):
                    found[inode] = ListeningSocket(service, member, process, proto.rstrip("6"), address, port)
    return sorted(found.values(), key=lambda s: (s.protocol, s.port, s.address, s.pid))


def endpoint_port(url: str) -> int:
    """The port of a contract endpoint (``host:port`` or a URL)."""
    parts = urlsplit(url if "//" in url else f"//{url.split(',')[0]}")
    if parts.port:
        return parts.port
    return {"http": 80, "https": 443}[parts.scheme]


class SocketKeywords(PlatformComponent):
    def _pid(self, name: str) -> int:
        if self.backend.name != "embedded":
            raise AssertionError(
                f"Cannot inspect the sockets of '{name}' on the {self.backend.name} backend: only the embedded "
                "backend runs services as local processes in this host's network namespace (tag such tests "
                "backend:embedded)"
            )
        status = self.backend.service_status(name)
        if not status.running or not status.pid:
            self.attach_tail(name)
            raise AssertionError(f"Cannot inspect the sockets of '{name}': it is {status.state}, not running")
        return status.pid

    @keyword(tags=("Getter", AREA))
    def get_listening_sockets(self, name: str) -> list[dict[str, Any]]:
        """Return every socket the service's processes listen on: ``service``, ``pid``, ``process``,
        ``protocol`` (``tcp``/``udp``), ``address``, ``port``, ``loopback``; logged as a table.

        Reads ``/proc`` for the service's process tree (embedded backend only; fails on others).

        | ${sockets}=    Get Listening Sockets    prometheus
        """
        sockets = listening_sockets(name, self._pid(name))
        rows = [{**asdict(s), "loopback": s.loopback} for s in sockets]
        htmllog.log_table(rows, caption=f"Listening sockets of {name}")
        return rows

    @keyword(tags=("Assertion", AREA))
    def service_should_listen_on_loopback_only(self, name: str, *ports: int) -> list[dict[str, Any]]:
        """Fail if the service listens on any non-loopback address (``0.0.0.0``, ``::``, a LAN
        address), or if it does not listen on each of ``ports`` on a loopback address, or on its
        contract endpoint's port (see `Get Contract Endpoint Port`) when it serves one. Returns the
        sockets.

        | Service Should Listen On Loopback Only    postgres
        | Service Should Listen On Loopback Only    kafka    ${9093}
        """
        sockets = listening_sockets(name, self._pid(name))
        htmllog.log_table(
            [{**asdict(s), "loopback": s.loopback} for s in sockets], caption=f"Listening sockets of {name}"
        )
        problems = self._problems(name, sockets, [int(p) for p in ports])
        if problems:
            raise AssertionError(f"Service '{name}': " + "; ".join(problems))
        logger.info(f"{name} listens on loopback only: {', '.join(str(s) for s in sockets) or 'no socket'}")
        return [{**asdict(s), "loopback": s.loopback} for s in sockets]

    @keyword(tags=("Assertion", AREA))
    def profile_services_should_listen_on_loopback_only(self, *profiles: str) -> list[dict[str, Any]]:
        """`Service Should Listen On Loopback Only` for every long-running service of the profiles
        (not their dependencies): all must be running, serve their contract endpoint on loopback, and
        listen on no other address than loopback. Every problem of every service is reported together.
        Returns all sockets.

        | Profile Services Should Listen On Loopback Only    monitoring
        """
        wanted = set(profiles)
        names = [s.name for s in closure(self.ctx.catalogue(), profiles) if s.profile in wanted and not s.oneshot]
        if not names:
            raise AssertionError(f"No long-running service in profile(s) {', '.join(profiles)}")
        found: list[ListeningSocket] = []
        problems: list[str] = []
        for name in names:
            try:
                sockets = listening_sockets(name, self._pid(name))
            except AssertionError as error:
                problems.append(str(error))
                continue
            found += sockets
            problems += [f"'{name}' {p}" for p in self._problems(name, sockets, [])]
        rows = [{**asdict(s), "loopback": s.loopback} for s in found]
        htmllog.log_table(rows, caption=f"Listening sockets of profile(s) {', '.join(profiles)}")
        if problems:
            raise AssertionError(
                f"{len(problems)} network exposure problem(s) in profile(s) {', '.join(profiles)}: "
                + "; ".join(problems)
            )
        logger.info(f"{len(names)} service(s) of {', '.join(profiles)} listen on loopback only ({len(found)} sockets)")
        return rows

    @keyword(tags=("Getter", AREA))
    def get_contract_endpoint_port(self, name: str) -> int | None:
        """The port of the endpoint the target's contract gives for a service (``kafka``:
        ``kafka_bootstrap``, ``airflow-api-server``: ``airflow_url``, …), or None if it serves none.

        | ${port}=    Get Contract Endpoint Port    prometheus
        """
        field = ENDPOINT_FIELDS.get(name)
        url = getattr(self.ctx.target, field) if field else ""
        return endpoint_port(url) if url else None

    def _problems(self, name: str, sockets: Iterable[ListeningSocket], ports: list[int]) -> list[str]:
        sockets = list(sockets)
        problems = [f"listens beyond loopback on {s}" for s in sockets if not s.loopback]
        endpoint = self.get_contract_endpoint_port(name)
        wanted = [*ports, *([endpoint] if endpoint else [])]
        served = {s.port for s in sockets if s.loopback and s.protocol == "tcp"}
        for port in wanted:
            if port not in served:
                seen = ", ".join(str(s) for s in sockets) or "no listening socket"
                problems.append(f"does not listen on loopback port {port} (listens on: {seen})")
        return problems
