"""The platform under test: endpoints, credentials, and whether it is a test environment.

Robot suites choose the target with a variables file (``-V variables/<target>.py``),
which sets ``${LH_TARGET}``. Without one, and outside Robot (pytest, benchmarks),
the target is the embedded platform of this checkout, read from
:class:`lakehouse.settings.Settings`. So a plain ``robot suites/01_foundation``
works against the embedded platform.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from . import secrets

BACKENDS = ("embedded", "compose", "external")


@dataclass(frozen=True)
class Target:
    name: str = "embedded"
    backend: str = "embedded"
    # Destructive keywords (delete objects, reset tables, recreate topics) refuse
    # targets that are not explicitly marked as test environments.
    test_environment: bool = False
    kafka_bootstrap: str = ""
    schema_registry_url: str = ""
    s3_endpoint: str = ""
    s3_region: str = "us-east-1"
    s3_access_key: str = ""
    s3_secret_key: str = ""
    streaming_metrics_url: str = ""
    airflow_url: str = ""
    airflow_user: str = ""
    airflow_password: str = ""
    state_dir: str = ""

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any]) -> Target:
        known = {f.name for f in fields(cls)}
        unknown = set(values) - known
        if unknown:
            raise ValueError(
                f"Unknown target settings: {', '.join(sorted(unknown))}. Known: {', '.join(sorted(known))}"
            )
        clean = {k: (secrets.reveal(v) if k.endswith(("secret_key", "password")) else v) for k, v in values.items()}
        if isinstance(clean.get("test_environment"), str):
            clean["test_environment"] = clean["test_environment"].strip().lower() in ("1", "true", "yes")
        target = cls(**clean)
        if target.backend not in BACKENDS:
            raise ValueError(f"Unknown backend '{target.backend}', expected one of {', '.join(BACKENDS)}")
        secrets.register(target.s3_secret_key, target.airflow_password)
        return target

    def as_public_dict(self) -> dict[str, Any]:
        """Settings safe to log: secrets masked."""
        out = {f.name: getattr(self, f.name) for f in fields(self)}
        for key in ("s3_secret_key", "airflow_password"):
            if out[key]:
                out[key] = secrets.MASK
        return out

    def as_variables(self) -> dict[str, Any]:
        """The ``${LH_TARGET}`` value for a variables file; secrets wrapped in Robot's ``Secret``."""
        out: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        for key in ("s3_secret_key", "airflow_password"):
            out[key] = as_secret(out[key])
        return out

    def s3_storage_options(self) -> dict[str, str]:
        return {
            "AWS_ENDPOINT_URL": self.s3_endpoint,
            "AWS_ALLOW_HTTP": "true" if self.s3_endpoint.startswith("http://") else "false",
            "AWS_REGION": self.s3_region,
            "AWS_ACCESS_KEY_ID": self.s3_access_key,
            "AWS_SECRET_ACCESS_KEY": self.s3_secret_key,
        }

    def with_overrides(self, **changes: Any) -> Target:
        return replace(self, **changes)


def as_secret(value: str) -> Any:
    """Wrap a value in ``robot.api.types.Secret`` (RF 7.4+) so Robot never logs it."""
    try:
        from robot.api.types import Secret
    except ImportError:  # RF < 7.4
        return value
    return Secret(value)


class NotATestEnvironment(PermissionError):
    ROBOT_SUPPRESS_NAME = True


def require_test_environment(target: Target, action: str) -> None:
    if not target.test_environment:
        raise NotATestEnvironment(
            f"Refusing to {action}: target '{target.name}' is not marked as a test environment. "
            "Set test_environment=True in its variables file (for an external platform: "
            "LH_TEST_ENVIRONMENT=true) only if its data may be destroyed."
        )


def embedded_target() -> Target:
    """The embedded platform of this checkout (state dir from ``LH_STATE_DIR``)."""
    from lakehouse.settings import AIRFLOW_USER, Settings

    s = Settings.load()
    return Target.from_mapping(
        {
            "name": "embedded",
            "backend": "embedded",
            "test_environment": True,
            "kafka_bootstrap": s.kafka_bootstrap,
            "schema_registry_url": s.schema_registry_url,
            "s3_endpoint": s.s3_endpoint,
            "s3_access_key": s.s3_access_key,
            "s3_secret_key": s.s3_secret_key,
            "streaming_metrics_url": s.streaming_metrics_url,
            "airflow_url": f"http://{s.host}:{s.ports['airflow']}",
            "airflow_user": AIRFLOW_USER,
            "airflow_password": s.airflow_password,
            "state_dir": str(s.state_dir),
        }
    )


def current() -> Target:
    """The target of the running Robot execution, else the embedded one.

    ``LH_TARGET_FILE`` (a variables file path) lets pytest and benchmarks aim at
    another target too.
    """
    values = _robot_target()
    if values is None and os.environ.get("LH_TARGET_FILE"):
        values = _load_variables_file(os.environ["LH_TARGET_FILE"])
    target = Target.from_mapping(values) if values is not None else embedded_target()
    secrets.quiet_client_loggers()
    return target


def _robot_target() -> Mapping[str, Any] | None:
    try:
        from robot.libraries.BuiltIn import BuiltIn, RobotNotRunningError
    except ImportError:  # pragma: no cover - robot is a dependency
        return None
    try:
        return BuiltIn().get_variable_value("${LH_TARGET}")
    except RobotNotRunningError:
        return None


def _load_variables_file(path: str) -> Mapping[str, Any]:
    import runpy

    namespace = runpy.run_path(path)
    if "get_variables" in namespace:
        namespace = namespace["get_variables"]()
    return namespace["LH_TARGET"]
