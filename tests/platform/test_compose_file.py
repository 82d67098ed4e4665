"""The generated Compose file declares exactly what the catalogue declares (no service, budget or
dependency is written twice), and what the Compose backend relies on (init, healthchecks, no pulls,
loopback only)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from lakehouse.catalogue import all_services
from lakehouse.compose import HEALTHCHECK, compose_path, healthcheck, project_name, render
from lakehouse.settings import Settings

IMAGES = {"runtime": "lakehouse/runtime:t", "jvm": "lakehouse/jvm:t", "postgres": "lakehouse/postgres:t",
          "monitoring": "lakehouse/monitoring:t"}


@pytest.fixture(scope="module")
def settings() -> Settings:
    return Settings.load()


@pytest.fixture(scope="module")
def model(settings: Settings) -> dict:
    return render(settings, IMAGES)


def test_every_catalogue_service_once_with_its_profile_budget_and_dependencies(settings, model):
    catalogue = all_services(settings)
    assert set(model["services"]) == set(catalogue)
    for name, svc in catalogue.items():
        entry = model["services"][name]
        assert entry["profiles"] == [svc.profile]
        assert entry["mem_limit"] == entry["memswap_limit"] == f"{svc.memory_mb}m"
        assert entry["labels"]["io.lakehouse.memory-budget-mb"] == str(svc.memory_mb)
        assert entry["image"] == IMAGES[svc.role]
        expected = {
            dep: "service_completed_successfully" if catalogue[dep].oneshot else "service_healthy"
            for dep in svc.depends_on
        }
        assert {d: c["condition"] for d, c in entry.get("depends_on", {}).items()} == expected
        assert entry["restart"] == ("no" if svc.oneshot else "on-failure")


def test_containers_run_with_init_no_pull_and_no_published_port(model):
    for name, entry in model["services"].items():
        assert entry["init"] is True, name
        assert entry["pull_policy"] == "never", name
        # Host networking: services bind 127.0.0.1 themselves, as on the embedded backend.
        assert entry["network_mode"] == "host", name
        assert "ports" not in entry, name


def test_long_running_services_have_a_healthcheck_one_shots_none(settings, model):
    catalogue = all_services(settings)
    for name, entry in model["services"].items():
        check = entry["healthcheck"]
        if catalogue[name].oneshot:
            assert check == {"disable": True}
        else:
            assert check["test"][:3] == ["CMD", "bash", str(HEALTHCHECK)], name
            assert check["interval"] == "1s"
            assert check["start_period"] == f"{int(catalogue[name].start_timeout)}s"


def test_roles_pick_the_image_the_service_needs(settings):
    catalogue = all_services(settings)
    assert catalogue["kafka"].role == "jvm"
    assert catalogue["bronze-streaming"].role == "jvm"  # PySpark's JVM
    assert catalogue["postgres"].role == "postgres"
    assert catalogue["prometheus"].role == "monitoring"
    assert catalogue["kafka-init"].role == "runtime"


def test_every_bind_mount_exists_and_the_command_is_the_launcher(settings, model):
    for name, entry in model["services"].items():
        for volume in entry["volumes"]:
            source, target, mode = volume.split(":")
            assert source == target and mode in ("ro", "rw"), volume
            assert Path(source).exists(), f"{name}: {source} is mounted but missing"
        assert entry["command"][1:] == ["-m", "lakehouse.runner.launch", name]


def test_a_missing_image_role_fails_naming_it(settings):
    with pytest.raises(ValueError, match="No image for role\\(s\\) jvm"):
        render(settings, {k: v for k, v in IMAGES.items() if k != "jvm"})


def test_project_name_is_stable_and_per_instance(settings):
    assert project_name(settings) == project_name(Settings.load())
    other = Settings(state_dir=Path("/tmp/other-instance"))
    assert project_name(other) != project_name(settings)
    assert project_name(other).startswith("lh-other-instance-")


def test_written_file_is_valid_for_docker_compose(settings, tmp_path):
    assert compose_path(settings) == settings.run_dir / "compose.yml"
    path = tmp_path / "compose.yml"
    path.write_text(json.dumps(render(settings, IMAGES)))
    docker = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True)
    if docker.returncode != 0:
        pytest.fail(f"docker compose is not installed: {docker.stderr.strip()}")
    proc = subprocess.run(["docker", "compose", "-f", str(path), "--profile", "*", "config", "--quiet"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.parametrize(("service", "kind"), [("kafka", "tcp"), ("s3", "answers"), ("schema-registry", "http")])
def test_healthcheck_kind_follows_the_probe(settings, service, kind):
    assert healthcheck(all_services(settings)[service], settings)["test"][3] == kind
