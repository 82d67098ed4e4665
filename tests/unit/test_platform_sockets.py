"""PlatformLibrary's socket reading (pure logic): /proc/net address decoding, LISTEN/UDP selection, loopback."""

from __future__ import annotations

import os
import socket

import pytest

from PlatformLibrary.sockets import (
    decode_address,
    endpoint_port,
    is_listening,
    is_loopback,
    listening_sockets,
    parse_socket_table,
)

EPHEMERAL = range(32768, 61000)

TCP = """  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:4A38 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 111 1
   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 222 1
   2: 0100007F:C350 0100007F:4A38 01 00000000:00000000 00:00000000 00000000  1000        0 333 1
"""


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0100007F:4A38", ("127.0.0.1", 19000)),
        ("00000000:1F90", ("0.0.0.0", 8080)),
        ("0000000000000000FFFF00000100007F:4A38", ("::ffff:127.0.0.1", 19000)),
        ("00000000000000000000000001000000:0050", ("::1", 80)),
        ("00000000000000000000000000000000:0050", ("::", 80)),
    ],
)
def test_decode_address(raw: str, expected: tuple[str, int]) -> None:
    assert decode_address(raw) == expected


def test_parse_socket_table_keys_rows_by_inode() -> None:
    assert parse_socket_table(TCP, "tcp") == {
        111: ("127.0.0.1", 19000, "0A"),
        222: ("0.0.0.0", 8080, "0A"),
        333: ("127.0.0.1", 50000, "01"),
    }


@pytest.mark.parametrize(
    ("address", "loopback"),
    [("127.0.0.1", True), ("127.0.1.1", True), ("::1", True), ("::ffff:127.0.0.1", True),
     ("0.0.0.0", False), ("::", False), ("192.168.1.4", False), ("::ffff:10.0.0.1", False)],
)  # fmt: skip
def test_is_loopback(address: str, loopback: bool) -> None:
    assert is_loopback(address) is loopback


def test_tcp_counts_only_listen_udp_only_fixed_unconnected_ports() -> None:
    assert is_listening("tcp", "127.0.0.1", 19000, "0A", EPHEMERAL)
    assert not is_listening("tcp", "127.0.0.1", 50000, "01", EPHEMERAL)  # an established connection
    assert is_listening("udp", "127.0.0.1", 9125, "07", EPHEMERAL)  # a StatsD intake
    assert is_listening("udp", "0.0.0.0", 9094, "07", EPHEMERAL)  # a gossip port on every interface
    assert is_listening("udp", "127.0.0.1", 40000, "07", EPHEMERAL)  # bound to an address on purpose
    assert not is_listening("udp", "0.0.0.0", 40000, "07", EPHEMERAL)  # a client's sendto() socket
    assert not is_listening("udp", "127.0.0.1", 9125, "01", EPHEMERAL)  # connected: a client


def test_endpoint_port() -> None:
    assert endpoint_port("127.0.0.1:19092") == 19092
    assert endpoint_port("http://127.0.0.1:18080/") == 18080
    assert endpoint_port("https://bi.example.org") == 443


@pytest.mark.skipif(not os.path.exists("/proc/self/net/tcp"), reason="needs Linux /proc")
def test_reads_this_process_listening_sockets() -> None:
    """Real sockets of this very process: one loopback listener, one wildcard listener, one client."""
    servers = [socket.socket(), socket.socket()]
    try:
        servers[0].bind(("127.0.0.1", 0))
        servers[1].bind(("0.0.0.0", 0))
        for s in servers:
            s.listen()
        ports = [s.getsockname()[1] for s in servers]
        client = socket.create_connection(servers[0].getsockname())
        client_port = client.getsockname()[1]
        found = {(s.address, s.port, s.loopback) for s in listening_sockets("self", os.getpid())}
        client.close()
    finally:
        for s in servers:
            s.close()
    assert ("127.0.0.1", ports[0], True) in found
    assert ("0.0.0.0", ports[1], False) in found
    assert all(port != client_port for _, port, _ in found)
