"""PlatformLibrary's compose backend against the real Docker engine, on a toy Compose project.

The toy (``tests/integration/compose_toy``) follows the conventions of the lakehouse's generated
Compose file: ``core`` = a one-shot ``init`` and a healthy HTTP service ``web`` that waits for it;
``faults`` = ``hog``, which allocates past its 64m ``mem_limit`` on ``GET /grow``; ``faults2`` =
``sick``, whose health check never passes. Each run uses its own project name (``lhtest-<random>``),
ports in 127.0.0.1:2xxxx and a copy of the toy directory, and takes everything down at the end.
Nothing is mocked: the backend drives the Compose CLI (up/down) and the docker SDK.
"""

from __future__ import annotations

import secrets
import shutil
import socket
import time
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from assertionengine import AssertionOperator

from contract.lifecycle import LifecycleError
from contract.platform import PlatformContract
from lhcommon.polling import wait_until
from PlatformLibrary import PlatformLibrary
from PlatformLibrary.backends import backend_for
from PlatformLibrary.backends.compose import ComposeBackend

TOY = Path(__file__).parent / "compose_toy"
IMAGE = "lhtest/toy-python:1"
MIB = 2**20


def _free_port() -> int:
    for _ in range(50):
        port = 20000 + secrets.randbelow(10000)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 127.0.0.1:20000-29999")


@pytest.fixture(scope="module")
def toy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[PlatformContract, dict[str, int]]]:
    """A copy of the toy project with its own ports and project name; its image built once (no pull)."""
    import docker

    client = docker.from_env(timeout=60)
    try:
        client.images.get(IMAGE)
    except docker.errors.ImageNotFound:
        client.images.build(path=str(TOY), tag=IMAGE, network_mode="host", rm=True)
    folder = tmp_path_factory.mktemp("compose") / "toy"
    shutil.copytree(TOY, folder)
    ports = {name: _free_port() for name in ("web", "hog", "sick", "needs")}
    (folder / ".env").write_text("".join(f"TOY_{k.upper()}_PORT={v}\n" for k, v in ports.items()))
    project = f"lhtest-{secrets.token_hex(4)}"
    contract = PlatformContract.from_mapping(
        {
            "name": "toy",
            "backend": "compose",
            "test_environment": True,
            "compose_file": str(folder / "compose.yml"),
            "compose_project": project,
        }
    )
    try:
        yield contract, ports
    finally:
        backend_for(contract).down()
        left = client.containers.list(all=True, filters={"label": f"com.docker.compose.project={project}"})
        client.close()
        assert not left, f"down left containers of {project}: {[c.name for c in left]}"


@pytest.fixture(scope="module")
def backend(toy: tuple[PlatformContract, dict[str, int]]) -> Iterator[ComposeBackend]:
    found = backend_for(toy[0])
    assert isinstance(found, ComposeBackend)
    yield found
    found.close()


@pytest.fixture(scope="module")
def core(toy: tuple[PlatformContract, dict[str, int]]) -> dict[str, object]:
    """``core`` up from three backends at once, as three pabot workers would."""
    started = time.monotonic()
    with ThreadPoolExecutor(3) as pool:
        reports = list(pool.map(lambda _: backend_for(toy[0]).up(["core"], timeout=30), range(3)))
    return {"reports": reports, "seconds": time.monotonic() - started}


@pytest.fixture
def library(toy: tuple[PlatformContract, dict[str, int]]) -> Iterator[PlatformLibrary]:
    lib = PlatformLibrary(target=toy[0].to_dict(), timeout=20)
    yield lib
    lib.close()


def _get(port: int, path: str = "/health") -> str:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as response:
        return response.read().decode()


def test_up_waits_for_the_init_then_the_healthy_service_and_is_idempotent(
    backend: ComposeBackend, core: dict[str, object], toy: tuple[PlatformContract, dict[str, int]]
) -> None:
    reports = sorted(core["reports"], key=lambda r: r.started)  # type: ignore[attr-defined]
    assert [(r.started, r.already_running) for r in reports] == [
        ([], ["init", "web"]),
        ([], ["init", "web"]),
        (["init", "web"], []),
    ], "exactly one of three concurrent ups starts the services"
    ready = reports[2].ready_after
    assert 0 < ready["init"] < ready["web"] <= core["seconds"], f"init is ready (exited) before web: {ready}"
    assert core["seconds"] < 15, f"core up took {core['seconds']:.1f} s"
    init, web = backend.status(["init", "web"])
    assert (init.state, init.exit_status, init.finished_ok) == ("EXITED", 0, True)
    assert (web.state, web.health, web.restarts, web.oom_killed) == ("RUNNING", "healthy", 0, False)
    assert web.pid and web.container == f"{toy[0].compose_project}-web-1" and web.memory_budget_mb == 64
    assert _get(toy[1]["web"]) == "web ok\n"
    assert backend.health("web") == (True, "RUNNING, health healthy; last health check exit 0: probe: HTTP 200")
    assert backend.health("init") == (True, "EXITED (exit status 0)")
    assert backend.service_status("hog").state == "NOT_CREATED"
    again = backend.up(["core"], timeout=30)
    assert (again.started, again.already_running) == ([], ["init", "web"])
    assert backend.service_status("web").pid == web.pid, "a second up must leave the running service alone"


def test_memory_limit_is_the_mem_limit_and_usage_is_measured(
    backend: ComposeBackend, core: dict[str, object], library: PlatformLibrary
) -> None:
    usage = backend.memory("web")
    assert usage.limit_bytes == 64 * MIB
    assert 1 * MIB < usage.rss_bytes < 64 * MIB and usage.cgroup_usage_bytes
    assert usage.cgroup_peak_bytes and usage.cgroup_peak_bytes >= usage.rss_bytes
    assert usage.oom_kills == 0
    assert library.get_service_memory_limit("web", AssertionOperator["=="], 64) == 64


def test_log_tail_returns_the_service_output(
    backend: ComposeBackend, core: dict[str, object], toy: tuple[PlatformContract, dict[str, int]]
) -> None:
    assert f"web: listening on 127.0.0.1:{toy[1]['web']}" in backend.log_tail("web", 5)
    assert backend.log_tail("init", 1).strip() == "init: done"


def test_stop_start_and_restart(backend: ComposeBackend, core: dict[str, object]) -> None:
    backend.stop_service("web")
    stopped = backend.service_status("web")
    assert stopped.state == "EXITED" and not stopped.pid
    ok, detail = backend.health("web")
    assert not ok and "EXITED" in detail
    backend.start_service("web", timeout=20)
    started = backend.service_status("web")
    assert started.state == "RUNNING" and started.pid
    backend.restart_service("web", timeout=20)
    restarted = backend.service_status("web")
    assert restarted.state == "RUNNING" and restarted.pid != started.pid
    assert restarted.restarts == started.restarts, "a deliberate restart is not counted, as on the embedded backend"


def test_a_hard_kill_is_restarted_by_the_restart_policy(
    backend: ComposeBackend, core: dict[str, object], library: PlatformLibrary
) -> None:
    mark = library.mark_service_state("web")
    started = time.monotonic()
    library.kill_service("web", wait_until_healthy=True, timeout="20 s")
    back = backend.service_status("web")
    assert back.restarts == mark["restarts"] + 1 and back.pid != mark["pid"]
    assert back.state == "RUNNING" and time.monotonic() - started < 10
    with pytest.raises(AssertionError) as failure:
        library.service_should_not_have_restarted("web", since=mark)
    print(failure.value)
    assert f"restart count {mark['restarts']} -> {back.restarts}" in str(failure.value)
    for _ in range(2):  # on-failure:3 allows three restarts per start of the container
        library.kill_service("web", wait_until_healthy=True, timeout="20 s")
    assert backend.service_status("web").restarts == 3
    with pytest.raises(LifecycleError, match=r"Refusing to hard-kill 'web': its restart policy on-failure:3 has used"):
        backend.kill_service("web")
    backend.restart_service("web", timeout=20)
    assert backend.service_status("web").restarts == 0, "a deliberate restart resets Docker's RestartCount"


def test_a_container_over_its_memory_limit_is_reported_oom_killed(
    backend: ComposeBackend, toy: tuple[PlatformContract, dict[str, int]], library: PlatformLibrary
) -> None:
    assert backend.service_status("hog").state == "NOT_CREATED"
    backend.start_service("hog", timeout=20)  # no container yet: Compose creates it
    mark = library.mark_service_state("hog")
    library.service_should_not_have_been_oom_killed("hog", since=mark)  # passes before the fault
    _get(toy[1]["hog"], "/grow?mb=256")
    wait_until(
        lambda: backend.service_status("hog"),
        lambda st: st.restarts > mark["restarts"] or st.state == "EXITED",
        timeout=20,
        description="the hog to die (its restart policy restarts it)",
        interval=0.25,
    )
    with pytest.raises(AssertionError) as failure:
        library.service_should_not_have_been_oom_killed("hog", since=mark)
    message = str(failure.value)
    print(message)
    container = f"{toy[0].compose_project}-hog-1"
    assert message.startswith(f"Container '{container}' (service 'hog') was OOM-killed since the mark")
    assert "memory limit 64.0 MiB" in message and "peak 64.0 MiB" in message and "exit code 137" in message
    assert backend.service_status("hog").oom_killed and backend.memory("hog").oom_kills
    with pytest.raises(AssertionError, match="its last exit was an OOM kill"):
        library.service_should_not_have_restarted("hog", since=mark)
    assert "hog: holding 40 MiB" in backend.log_tail("hog", 40)


def test_a_service_that_never_turns_healthy_fails_up_with_its_probe_output(backend: ComposeBackend) -> None:
    started = time.monotonic()
    with pytest.raises(LifecycleError) as failure:
        backend.up(["faults2"], timeout=15)
    seconds = time.monotonic() - started
    message = str(failure.value)
    print(message)
    assert seconds < 15 + 5, f"up took {seconds:.1f} s"
    assert "Service 'sick' (container " in message and "is UNHEALTHY" in message
    assert "last health check: exit 1: probe: warehouse unreachable (toy fault)" in message
    assert "sick: listening on 127.0.0.1:" in message, "the log tail is part of the message"


def test_a_failed_one_shot_fails_up_with_its_exit_code_and_log(backend: ComposeBackend) -> None:
    with pytest.raises(LifecycleError) as failure:
        backend.up(["faults3"], timeout=15)
    message = str(failure.value)
    print(message)
    assert "Service 'broken-init' (container " in message and "is EXITED: state exited, exit code 3" in message
    assert "init: cannot create the bucket (toy fault)" in message
    assert "Service 'needs-init' (container " in message and "is STOPPED: state created" in message
    assert "No log output." in message
