"""The Compose backend's provisioning against the real engine: one dockerd, host networking, the role images.

Needs Docker (``python -m lakehouse.provision --backend compose`` installs it). A daemon that already answers
is used as it is; otherwise the module starts one with ``ensure_daemon`` and stops it with ``stop_daemon`` at
the end. The first run builds the images (minutes); later runs find them.
"""

from __future__ import annotations

import json
import os
import pwd
import re
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lakehouse.provision import docker as provision_docker
from lakehouse.provision.core import kafka_lib_dir
from lakehouse.provision.data_platform import spark_python
from lakehouse.settings import Settings

PYENV = Path("/root/.pyenv/versions/3.11.7")
TEMURIN = Path("/usr/lib/jvm/temurin-25-jdk-amd64")
# The C extension modules of the stdlib that need the runtime image's shared libraries.
STDLIB_IMPORTS = "ssl, hashlib, ctypes, sqlite3, lzma, bz2, zlib, uuid, pyexpat, readline, curses"
# venv → the compiled packages its services import.
VENV_IMPORTS = {
    "platform-venv": "duckdb, deltalake, confluent_kafka, pyarrow, psutil",
    "airflow3": "airflow.models, deltalake, pyarrow, psycopg2",
    "superset": "superset.app, duckdb, duckdb_engine, pandas, pyarrow",
    "spark-venv": "pyspark.sql, delta, pyarrow",
}


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings.load()


@pytest.fixture(scope="module")
def daemon(settings: Settings) -> Iterator[bool]:
    """A daemon that answers: the one running, or one this module starts (and stops afterwards)."""
    started = provision_docker.ensure_daemon(settings, print)
    yield started
    if started:
        assert provision_docker.stop_daemon(settings, print)


@pytest.fixture(scope="module")
def client(daemon: bool) -> Iterator[Any]:
    client = provision_docker.sdk().from_env(timeout=600)
    yield client
    client.close()


@pytest.fixture(scope="module")
def images(settings: Settings, client: Any) -> dict[str, str]:
    return provision_docker.ensure_images(settings, print)


def run(client: Any, image: str, command: list[str], mounts: list[Path], **kwargs: Any) -> str:
    """Run ``command`` in ``image`` on the host network with ``mounts`` read-only at the same paths.

    The container is removed whatever happens (``containers.run(remove=True)`` leaves one that failed to start).
    """
    volumes = {str(m): {"bind": str(m), "mode": "ro"} for m in mounts}
    docker = provision_docker.sdk()
    container = client.containers.create(image, command, network_mode="host", volumes=volumes, **kwargs)
    try:
        try:
            container.start()
        except docker.errors.APIError as error:  # e.g. the command does not exist in the image
            raise AssertionError(f"{' '.join(command)} in {image} did not start: {error.explanation}") from None
        status = container.wait(timeout=300)["StatusCode"]
        out = container.logs(stdout=True, stderr=True).decode(errors="replace")
    finally:
        container.remove(force=True)
    assert status == 0, f"{' '.join(command)} in {image} exited {status}:\n{out}"
    return out


def test_ensure_daemon_leaves_a_running_daemon_alone(settings: Settings, daemon: bool) -> None:
    before = provision_docker._dockerd_pids()
    assert before, "no dockerd process although the daemon answers"
    assert provision_docker.ensure_daemon(settings, print) is False, "ensure_daemon started a second dockerd"
    assert provision_docker._dockerd_pids() == before


def test_the_daemon_has_no_bridge_network(settings: Settings, client: Any) -> None:
    """Every container and build uses host networking; the daemon creates no bridge and no docker0 link."""
    networks = sorted(n.name for n in client.networks.list())
    assert "bridge" not in networks, f"the running daemon has a bridge network: {networks}"
    links = provision_docker.host_network_snapshot()["links"]
    assert "docker0" not in links, f"the host has a docker0 link: {links}"
    assert provision_docker.DAEMON_CONFIG["bridge"] == "none"
    config = provision_docker.daemon_config_file(settings)
    if config.exists():  # only when ensure_daemon started the daemon
        written = json.loads(config.read_text())
        assert written == provision_docker.DAEMON_CONFIG, f"{config} differs from DAEMON_CONFIG: {written}"


def test_images_exist_and_a_second_call_is_fast(settings: Settings, client: Any, images: dict[str, str]) -> None:
    assert set(images) == set(provision_docker.ROLES)
    for role, tag in images.items():
        assert tag.startswith(f"lakehouse/{role}:"), tag
        client.images.get(tag)  # raises ImageNotFound
    lines: list[str] = []
    started = time.monotonic()
    again = provision_docker.ensure_images(settings, lines.append)
    seconds = time.monotonic() - started
    assert again == images
    assert seconds < 10, f"ensure_images with nothing changed took {seconds:.1f} s (goal: under 10 s)"
    # The builder's layer cache makes a rebuild quick too; nothing changed must mean nothing built.
    assert not lines, "ensure_images with nothing changed did work:\n" + "\n".join(lines)


def test_a_changed_dockerfile_changes_the_tag(settings: Settings, client: Any, images: dict[str, str],
                                              tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    for role in provision_docker.ROLES:
        (tmp_path / role).mkdir()
        (tmp_path / role / "Dockerfile").write_text((provision_docker.IMAGES_DIR / role / "Dockerfile").read_text())
    monkeypatch.setattr(provision_docker, "IMAGES_DIR", tmp_path)
    assert provision_docker.image_tags(settings, print, client) == images
    with (tmp_path / "runtime" / "Dockerfile").open("a") as dockerfile:
        dockerfile.write("RUN true\n")
    changed = provision_docker.image_tags(settings, print, client)
    assert all(changed[role] != images[role] for role in images), "a runtime change must change every tag"


@pytest.mark.parametrize("venv", sorted(VENV_IMPORTS))
def test_the_runtime_image_runs_the_host_venvs(settings: Settings, client: Any, images: dict[str, str],
                                               venv: str) -> None:  # fmt: skip
    # The container sees the artefacts at their real path (an instance's state dir may link to them).
    python = settings.artifacts_dir.resolve() / venv / "bin" / "python"
    if not python.exists():
        pytest.fail(f"{python} is missing: provision the profile that installs {venv} first")
    mounts = [PYENV, settings.artifacts_dir.resolve(), settings.repo_root]
    code = f"import {STDLIB_IMPORTS}; import {VENV_IMPORTS[venv]}; print('ok')"
    out = run(client, images["runtime"], [str(python), "-c", code], mounts)
    assert out.strip().splitlines()[-1:] == ["ok"], out


def test_the_postgres_image_has_the_hosts_postgres_ids(client: Any, images: dict[str, str]) -> None:
    host = pwd.getpwnam("postgres")
    out = run(client, images["postgres"], ["sh", "-c", "id -u postgres; id -g postgres; postgres --version"], [])
    uid, gid, version = out.strip().splitlines()
    assert (int(uid), int(gid)) == (host.pw_uid, host.pw_gid), f"image postgres {uid}:{gid}, host {host}"
    assert "PostgreSQL) 15." in version, version


def test_the_jvm_image_runs_java_17_kafka_and_the_mounted_temurin(settings: Settings, client: Any,
                                                                  images: dict[str, str]) -> None:  # fmt: skip
    out = run(client, images["jvm"], ["java", "-version"], [])
    assert 'version "17.' in out, out
    kafka = kafka_lib_dir(settings).resolve()
    out = run(client, images["jvm"], ["java", "-cp", f"{kafka}/*", "kafka.Kafka", "--version"], [kafka])
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", out.strip().splitlines()[-1]), f"kafka.Kafka --version: {out}"
    out = run(client, images["jvm"], [str(TEMURIN / "bin" / "java"), "-version"], [TEMURIN])
    assert 'version "25' in out, out


def test_the_jvm_image_runs_pyspark(settings: Settings, client: Any, images: dict[str, str]) -> None:
    python = spark_python(settings).parent.parent.resolve() / "bin" / "python"
    code = (
        "from pyspark.sql import SparkSession; "
        "s = SparkSession.builder.master('local[1]').config('spark.ui.enabled', 'false').getOrCreate(); "
        "print('rows', s.range(3).count())"
    )
    out = run(client, images["jvm"], [str(python), "-c", code], [PYENV, settings.artifacts_dir.resolve()],
              mem_limit="1g")  # fmt: skip
    assert "rows 3" in out, out


def test_the_monitoring_image_runs_prometheus_and_alertmanager(client: Any, images: dict[str, str]) -> None:
    for binary in ("prometheus", "promtool", "prometheus-alertmanager"):
        out = run(client, images["monitoring"], [f"/usr/bin/{binary}", "--version"], [])
        assert "version" in out, f"{binary} --version: {out}"


def test_stop_daemon_leaves_a_daemon_it_did_not_start_alone(tmp_path: Path, daemon: bool) -> None:
    """Only the pid file ensure_daemon writes makes a dockerd "ours"; a stale one names no dockerd."""
    other = Settings(state_dir=tmp_path)
    running = provision_docker._dockerd_pids()
    assert provision_docker.stop_daemon(other, print) is False
    pid_file = provision_docker.daemon_pid_file(other)
    pid_file.parent.mkdir(parents=True)
    pid_file.write_text(f"{os.getpid()}\n")  # a live process that is not dockerd
    assert provision_docker.stop_daemon(other, print) is False
    assert not pid_file.exists(), "the stale pid file was kept"
    assert provision_docker._dockerd_pids() == running
    assert provision_docker.daemon_answers()


@pytest.mark.parametrize("ignores_sigterm", [False, True])
def test_stop_daemon_stops_the_dockerd_of_its_pid_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       ignores_sigterm: bool) -> None:  # fmt: skip
    """SIGTERM, then SIGKILL after the timeout; the pid file goes; a dockerd it did not start keeps running.

    The "dockerd" here is a shell script of that name (the kernel names a script's process after the script),
    started by this process as ``ensure_daemon`` starts the real one: a second real dockerd would break the first.
    """
    fake = tmp_path / "bin" / "dockerd"
    fake.parent.mkdir()
    ready = tmp_path / "ready"
    trap = "trap '' TERM\n" if ignores_sigterm else ""
    fake.write_text(f"#!/bin/sh\n{trap}touch {ready}\nwhile :; do sleep 0.1; done\n")
    fake.chmod(0o755)
    others = provision_docker._dockerd_pids()
    mounts = [m for m in provision_docker.host_network_snapshot()["docker_mounts"] if "netns" in m]
    monkeypatch.setattr(provision_docker, "DAEMON_STOP_TIMEOUT_S", 1.0)
    settings = Settings(state_dir=tmp_path / "state")
    proc = subprocess.Popen([str(fake)], stdin=subprocess.DEVNULL)
    try:
        # Ready once its trap is set: a SIGTERM before that would end it on the default action.
        provision_docker.wait_until(lambda: ready.exists() and provision_docker._is_dockerd(proc.pid), timeout=5,
                                    description="the fake dockerd to run")  # fmt: skip
        pid_file = provision_docker.daemon_pid_file(settings)
        pid_file.parent.mkdir(parents=True)
        pid_file.write_text(f"{proc.pid}\n")
        lines: list[str] = []
        assert provision_docker.stop_daemon(settings, lines.append) is True
        # stop_daemon reaped its child, so the process is gone from /proc (Popen sees no exit code then).
        assert not Path(f"/proc/{proc.pid}").exists(), f"the fake dockerd (pid {proc.pid}) still exists"
        assert not pid_file.exists()
        assert any("SIGKILL" in line for line in lines) == ignores_sigterm, lines
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert provision_docker._dockerd_pids() == others, "a dockerd it did not start was stopped"
    still = [m for m in provision_docker.host_network_snapshot()["docker_mounts"] if "netns" in m]
    assert still == mounts, "the netns mount of another running dockerd was removed"
