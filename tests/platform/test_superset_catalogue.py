"""The ``bi`` profile's declaration: loopback, budgets, dependencies, secrets only in secret env, config."""

from __future__ import annotations

from pathlib import Path

from lakehouse.catalogue import all_services, services_for
from lakehouse.catalogue.bi import SECRETS, services
from lakehouse.services import superset as hooks
from lakehouse.settings import Settings


def _settings(tmp_path: Path) -> Settings:
    return Settings(state_dir=tmp_path)


def test_bi_needs_only_s3_from_core(tmp_path: Path) -> None:
    cat = all_services(_settings(tmp_path))
    names = [s.name for s in services_for(cat, ["bi"])]
    assert names == ["s3", "superset-init", "superset"]


def test_superset_binds_loopback_with_a_budget_and_an_http_probe(tmp_path: Path) -> None:
    s = _settings(tmp_path)
    init, web = services(s)
    assert init.oneshot and init.probe.kind == "exited_ok" and init.depends_on == ("s3",)
    assert web.depends_on == ("superset-init",)
    assert f"127.0.0.1:{s.ports['superset']}" in web.command
    assert web.probe.target == f"http://127.0.0.1:{s.ports['superset']}/health"
    assert ["-w", "1", "-k", "gthread", "--threads", "4"] == web.command[1:7]
    assert 0 < init.memory_mb and 0 < web.memory_mb <= 1024


def test_secrets_travel_only_as_secret_env(tmp_path: Path) -> None:
    s = _settings(tmp_path)
    values = {s.superset_password, s.superset_secret_key, s.s3_secret_key}
    for service in services(s):
        assert not any(v in " ".join(service.command) for v in values), service.name
        secret_keys = {k for k, v in service.env.items() if v in values}
        assert secret_keys <= set(service.secret_env) == set(SECRETS), service.name


def test_config_holds_no_secret_and_keeps_unsafe_connections_refused(tmp_path: Path) -> None:
    s = _settings(tmp_path)
    hooks.prepare(s)
    text = hooks.config_path(s).read_text()
    assert s.superset_secret_key not in text and s.superset_password not in text
    assert 'SECRET_KEY = os.environ["SUPERSET_SECRET_KEY"]' in text
    assert "PREVENT_UNSAFE_DB_CONNECTIONS = True" in text
    assert f"sqlite:///{hooks.metadata_db(s)}" in text
    assert oct(hooks.secret_dir(s).stat().st_mode & 0o777) == "0o700"
