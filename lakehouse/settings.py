"""Where the reference lakehouse lives on this machine: state directory, ports, credentials.

This module is the only place that knows a port number or a path. The service
catalogue, the embedded runner, the Compose backend, the variables files and the
keyword libraries all derive their endpoints from :class:`Settings`.

Every value can be moved with an environment variable:

* ``LH_STATE_DIR``: the git-ignored state directory (default ``<repo>/.state``).
* ``LH_PORT_<NAME>``: any port in :data:`DEFAULT_PORTS`, e.g. ``LH_PORT_KAFKA=29092``.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

from contract.layout import LAYERS
from contract.platform import PlatformContract

REPO_ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"

# One declaration per port. SeaweedFS ("weed mini") opens seven HTTP ports from
# ``s3_base`` upwards and a gRPC port 10000 above each of them.
DEFAULT_PORTS: dict[str, int] = {
    "kafka": 19092,
    "kafka_controller": 19093,
    "schema_registry": 18081,
    "schema_registry_management": 18086,
    "s3_base": 18400,
    "streaming_metrics": 18090,
    "postgres": 15432,
    "airflow": 18080,
    "airflow2": 18082,
    # monitoring
    "prometheus": 19190,
    "alertmanager": 19095,
    "alertmanager_cluster": 19096,
    "statsd_exporter": 19102,
    "statsd_udp": 19125,
    "kafka_jmx": 19414,
    "process_exporter": 19256,
    # bi
    "superset": 18088,
}

S3_ACCESS_KEY = "lakehouse"
S3_REGION = "us-east-1"
AIRFLOW_USER = "admin"
SUPERSET_USER = "admin"
SECRET_NAMES = (
    "s3_secret_key",
    "airflow_password",
    "airflow_jwt_secret",
    "airflow_secret_key",
    "superset_password",
    "superset_secret_key",
)


@dataclass(frozen=True)
class Settings:
    """Resolved settings of one embedded platform instance."""

    state_dir: Path
    ports: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_PORTS))
    host: str = HOST

    @classmethod
    def load(cls) -> Settings:
        state = Path(os.environ.get("LH_STATE_DIR", REPO_ROOT / ".state")).resolve()
        ports = dict(DEFAULT_PORTS)
        for name in ports:
            override = os.environ.get(f"LH_PORT_{name.upper()}")
            if override:
                ports[name] = int(override)
        return cls(state_dir=state, ports=ports)

    # --- directories -------------------------------------------------------------
    @property
    def repo_root(self) -> Path:
        return REPO_ROOT

    @property
    def artifacts_dir(self) -> Path:
        """Provisioned, read-only artefacts (jars, binaries, venvs)."""
        return self.state_dir / "artifacts"

    @property
    def data_dir(self) -> Path:
        """Service data (Kafka logs, S3 volumes, checkpoints)."""
        return self.state_dir / "data"

    @property
    def logs_dir(self) -> Path:
        return self.state_dir / "logs"

    @property
    def run_dir(self) -> Path:
        """Supervisor config, socket, pid file and lock files."""
        return self.state_dir / "run"

    @property
    def venv_dir(self) -> Path:
        return self.state_dir / "venv"

    @property
    def python(self) -> Path:
        return self.venv_dir / "bin" / "python"

    @property
    def platform_venv_dir(self) -> Path:
        """The reference lakehouse's own environment (``lakehouse/requirements.txt``), not the toolkit's."""
        return self.artifacts_dir / "platform-venv"

    @property
    def platform_python(self) -> Path:
        return self.platform_venv_dir / "bin" / "python"

    @property
    def dbt_executable(self) -> Path:
        """The platform's dbt: the DAGs run it, and so can the tests (``contract.dbt_command``)."""
        return self.platform_venv_dir / "bin" / "dbt"

    @property
    def dbt_project_dir(self) -> Path:
        return self.repo_root / "lakehouse" / "dbt"

    @property
    def dbt_profiles_dir(self) -> Path:
        return self.dbt_project_dir

    @property
    def dbt_lock_file(self) -> Path:
        """One dbt writer at a time: scheduled DAG runs and test runs take this flock(2) file."""
        return self.run_dir / "dbt.lock"

    @property
    def streaming_checkpoint_dir(self) -> Path:
        """The Bronze streaming query's checkpoint (and its generation id, see ``lakehouse.streaming.app``)."""
        return self.data_dir / "streaming" / "checkpoint"

    # --- endpoints ---------------------------------------------------------------
    @property
    def kafka_bootstrap(self) -> str:
        return f"{self.host}:{self.ports['kafka']}"

    @property
    def schema_registry_url(self) -> str:
        """Confluent-compatible API of the registry (Apicurio's ccompat v7)."""
        return f"http://{self.host}:{self.ports['schema_registry']}/apis/ccompat/v7"

    @property
    def s3_port(self) -> int:
        return self.ports["s3_base"] + 3

    @property
    def s3_endpoint(self) -> str:
        return f"http://{self.host}:{self.s3_port}"

    @property
    def streaming_metrics_url(self) -> str:
        return f"http://{self.host}:{self.ports['streaming_metrics']}"

    # --- credentials -------------------------------------------------------------
    @cached_property
    def _secrets(self) -> dict[str, str]:
        """Per-state-dir secrets, generated once and kept out of git (mode 0600)."""
        path = self.state_dir / "secrets.json"
        values: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
        missing = [k for k in SECRET_NAMES if k not in values]
        if not missing:
            return values
        values.update({k: secrets.token_urlsafe(24) for k in missing})
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(values))
        tmp.chmod(0o600)
        tmp.replace(path)
        return values

    @property
    def s3_access_key(self) -> str:
        return S3_ACCESS_KEY

    @property
    def s3_secret_key(self) -> str:
        return self._secrets["s3_secret_key"]

    @property
    def airflow_password(self) -> str:
        return self._secrets["airflow_password"]

    @property
    def airflow_jwt_secret(self) -> str:
        """Shared by every Airflow component: the API signs task and user JWTs with it."""
        return self._secrets["airflow_jwt_secret"]

    @property
    def airflow_secret_key(self) -> str:
        """Airflow's ``[api] secret_key`` / ``[webserver] secret_key`` (sessions, log-fetch signing)."""
        return self._secrets["airflow_secret_key"]

    @property
    def airflow_url(self) -> str:
        return f"http://{self.host}:{self.ports['airflow']}"

    @property
    def airflow2_url(self) -> str:
        """Airflow 2.11 (``/api/v1``), only for the AirflowLibrary compatibility tests."""
        return f"http://{self.host}:{self.ports['airflow2']}"

    @property
    def superset_password(self) -> str:
        return self._secrets["superset_password"]

    @property
    def superset_secret_key(self) -> str:
        """Superset's Flask ``SECRET_KEY`` (sessions, CSRF, encrypted database credentials)."""
        return self._secrets["superset_secret_key"]

    @property
    def prometheus_url(self) -> str:
        return f"http://{self.host}:{self.ports['prometheus']}"

    @property
    def alertmanager_url(self) -> str:
        return f"http://{self.host}:{self.ports['alertmanager']}"

    @property
    def superset_url(self) -> str:
        return f"http://{self.host}:{self.ports['superset']}"

    # --- names ---------------------------------------------------------------------
    @property
    def topic_prefix(self) -> str:
        """``LH_TOPIC_PREFIX``: prepended to every topic on the broker (default none)."""
        return os.environ.get("LH_TOPIC_PREFIX", "")

    @property
    def buckets(self) -> dict[str, str]:
        """``LH_BUCKET_<LAYER>``: the bucket of each layer (default: the layer's name)."""
        return {layer: os.environ.get(f"LH_BUCKET_{layer.upper()}", layer) for layer in LAYERS}

    @property
    def s3_region(self) -> str:
        return S3_REGION

    def layer_roots(self, scheme: str = "s3") -> dict[str, str]:
        """``{layer: "s3://<bucket>"}``; the services receive them as ``LH_<LAYER>_ROOT``."""
        names = PlatformContract(buckets=self.buckets)
        return {layer: names.layer_root(layer, scheme) for layer in LAYERS}

    def instance_env(self) -> dict[str, str]:
        """What tells this instance from another on the same machine, as the environment
        :meth:`load` reads: state directory, every port, topic prefix and buckets (no secrets)."""
        return {
            "LH_STATE_DIR": str(self.state_dir),
            **{f"LH_PORT_{name.upper()}": str(port) for name, port in self.ports.items()},
            "LH_TOPIC_PREFIX": self.topic_prefix,
            **{f"LH_BUCKET_{layer.upper()}": bucket for layer, bucket in self.buckets.items()},
        }

    def data_env(self) -> dict[str, str]:
        """The ``LH_*`` environment the platform's data services read (DAG tasks, dbt, the streaming
        job and the init one-shots): names, layer roots, S3 access and the platform's dbt.

        Holds the S3 secret: mask ``LH_S3_SECRET_KEY`` wherever it is shown."""
        roots = self.layer_roots()
        return {
            "LH_STATE_DIR": str(self.state_dir),
            "LH_TOPIC_PREFIX": self.topic_prefix,
            **{f"LH_BUCKET_{layer.upper()}": bucket for layer, bucket in self.buckets.items()},
            **{f"LH_{layer.upper()}_ROOT": root for layer, root in roots.items()},
            "LH_S3_ENDPOINT": self.s3_endpoint,
            "LH_S3_REGION": self.s3_region,
            "LH_S3_ACCESS_KEY": self.s3_access_key,
            "LH_S3_SECRET_KEY": self.s3_secret_key,
            "LH_DBT_EXECUTABLE": str(self.dbt_executable),
            "LH_DBT_PROJECT_DIR": str(self.dbt_project_dir),
            "LH_DBT_LOCK_FILE": str(self.dbt_lock_file),
        }

    @property
    def contract_path(self) -> Path:
        """Where this instance publishes its platform contract for the toolkit (mode 0600)."""
        return self.state_dir / "contract.json"

    def contract(self) -> PlatformContract:
        """This instance's names, endpoints and credentials (no services: see ``lakehouse.describe``)."""
        return PlatformContract(
            name="embedded",
            backend="embedded",
            test_environment=True,
            topic_prefix=self.topic_prefix,
            buckets=self.buckets,
            kafka_bootstrap=self.kafka_bootstrap,
            schema_registry_url=self.schema_registry_url,
            s3_endpoint=self.s3_endpoint,
            s3_region=self.s3_region,
            s3_access_key=self.s3_access_key,
            s3_secret_key=self.s3_secret_key,
            streaming_metrics_url=self.streaming_metrics_url,
            airflow_url=self.airflow_url,
            airflow_user=AIRFLOW_USER,
            airflow_password=self.airflow_password,
            prometheus_url=self.prometheus_url,
            alertmanager_url=self.alertmanager_url,
            superset_url=self.superset_url,
            superset_user=SUPERSET_USER,
            superset_password=self.superset_password,
            streaming_checkpoint=str(self.streaming_checkpoint_dir),
            # dbt loads the project's plugin, which reads the contract from the repository root.
            dbt_command=("env", f"PYTHONPATH={self.repo_root}", str(self.dbt_executable)),
            dbt_project_dir=str(self.dbt_project_dir),
            dbt_profiles_dir=str(self.dbt_profiles_dir),
            dbt_lock_file=str(self.dbt_lock_file),
        )
