"""The target as a platform contract, the destructive guard, secret masking, profile tags."""

from __future__ import annotations

import inspect
import re

import pytest

from contract.platform import LIFECYCLE_FIELDS, PlatformContract
from lhcommon import masking
from lhkit import target as lh_target
from lhkit.target import NotATestEnvironment, Target, require_test_environment
from PlatformLibrary.profiles import profiles_from_tags


def test_target_is_the_platform_contract() -> None:
    assert Target is PlatformContract


def test_secrets_are_masked_everywhere() -> None:
    target = lh_target.from_value({"s3_secret_key": "s3cr3t-value-123", "airflow_password": "pw-abcdef"})
    assert masking.mask("key=s3cr3t-value-123 and pw-abcdef") == "key=*** and ***"
    assert target.public_dict()["s3_secret_key"] == "***"


def test_robot_secret_values_are_revealed_for_clients() -> None:
    from robot.api.types import Secret

    target = lh_target.from_value({"s3_secret_key": Secret("from-robot-secret")})
    assert target.s3_secret_key == "from-robot-secret"
    assert "from-robot-secret" not in masking.mask("x from-robot-secret")


def test_variables_wrap_secrets() -> None:
    values = lh_target.as_variables(PlatformContract(s3_secret_key="abc-secret"))
    assert type(values["s3_secret_key"]).__name__ == "Secret"
    assert lh_target.from_value(values).s3_secret_key == "abc-secret"


def test_destructive_guard() -> None:
    with pytest.raises(NotATestEnvironment, match="not marked as a test environment"):
        require_test_environment(Target(name="prod"), "delete objects")
    require_test_environment(Target(test_environment=True), "delete objects")
    assert Target.from_mapping({"test_environment": "true"}).test_environment is True
    assert Target.from_mapping({"test_environment": "no"}).test_environment is False


def test_unknown_target_setting_is_rejected() -> None:
    with pytest.raises(ValueError, match="Unknown platform contract field"):
        Target.from_mapping({"kafka": "x"})


def test_profile_tags() -> None:
    assert profiles_from_tags(["profile:core", "Profile:data-platform", "smoke"]) == {"core", "data-platform"}


def test_client_loggers_that_echo_requests_are_quieted() -> None:
    """Selenium's remote_connection logs every WebDriver command (typed passwords too) at DEBUG, and
    Robot records Python logging at DEBUG: found as a secret leak in CI's output.xml."""
    import logging

    from lhcommon import masking as m

    root, names = logging.getLogger(), ("selenium", "urllib3", "botocore")
    saved = root.level, [logging.getLogger(n).level for n in names]
    try:
        root.setLevel(logging.DEBUG)  # as Robot does with --loglevel DEBUG
        for n in names:
            logging.getLogger(n).setLevel(logging.NOTSET)
        m.quiet_client_loggers()
        for name in ("selenium.webdriver.remote.remote_connection", "urllib3.connectionpool", "botocore.endpoint"):
            assert logging.getLogger(name).getEffectiveLevel() >= logging.WARNING, name
    finally:
        root.setLevel(saved[0])
        for n, level in zip(names, saved[1], strict=True):
            logging.getLogger(n).setLevel(level)


def test_control_env_survives_the_contract_file(tmp_path) -> None:
    contract = PlatformContract(backend="embedded", control_command=("python", "-m", "lakehouse.runner"),
                                control_env={"LH_STATE_DIR": "/srv/lh-2", "LH_PORT_KAFKA": "29092"})
    loaded = PlatformContract.load(contract.save(tmp_path / "contract.json"))
    assert loaded == contract and dict(loaded.control_env)["LH_PORT_KAFKA"] == "29092"
    assert PlatformContract.from_mapping({"control_env": {"LH_PORT_KAFKA": 29092}}).control_env == {
        "LH_PORT_KAFKA": "29092"}


def test_an_external_view_keeps_the_endpoints_and_drops_every_lifecycle_field() -> None:
    compose = PlatformContract(
        backend="compose", kafka_bootstrap="127.0.0.1:19092", s3_secret_key="k", topic_prefix="w1-",
        control_command=("python", "-m", "lakehouse.runner"), control_cwd="/srv", control_env={"LH_PORT_KAFKA": "1"},
        compose_file="/srv/docker/compose.yaml", compose_project="lh-2",
    )
    external = compose.as_external(name="theirs")
    assert external.backend == "external" and external.name == "theirs"
    assert (external.kafka_bootstrap, external.s3_secret_key, external.topic_prefix) == ("127.0.0.1:19092", "k", "w1-")
    assert {name: getattr(external, name) for name in LIFECYCLE_FIELDS} == {
        "control_command": (), "control_cwd": "", "control_env": {}, "compose_file": "", "compose_project": ""}
    assert PlatformContract.from_mapping(external.to_dict()) == external


def test_every_field_of_the_lifecycle_section_is_a_lifecycle_field() -> None:
    # The next lifecycle field added to the contract must be cleared by as_external() too.
    source = inspect.getsource(PlatformContract)
    section = source.split("# --- lifecycle", 1)[1].split("# Catalogue facts", 1)[0]
    declared = set(re.findall(r"^\s{4}(\w+): ", section, flags=re.MULTILINE))
    assert declared == set(LIFECYCLE_FIELDS)
