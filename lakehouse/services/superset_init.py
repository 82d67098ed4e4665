"""The ``superset-init`` one-shot, run with the Superset venv's python: one process instead of three CLI calls.

``superset db upgrade`` + ``superset fab create-admin`` + ``superset init`` cost ~24 s as CLI calls,
mostly ~6 s of imports each. Here the app is created once and:

1. the metadata DB is copied from the template (``LH_SUPERSET_TEMPLATE``) when it does not exist
   yet; a template is a migrated and initialised DB with no user, written by the first cold run;
2. ``db upgrade`` (a no-op at head) and, on a new DB, ``init`` (permissions and roles);
3. the admin user is created, or its password reset to the instance's (``LH_SUPERSET_PASSWORD``);
4. DuckDB's persistent S3 secret for this instance is (re)written in ``LH_SUPERSET_SECRET_DIR``;
5. the assets bundle (:mod:`lakehouse.superset.assets`) is imported with overwrite (:func:`import_assets`).

Idempotent: every step converges. Secrets come from the environment and are never printed.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import time
from pathlib import Path

from lakehouse.superset import assets, duckdb_gold

log = logging.getLogger("superset-init")
ADMIN_EMAIL = "admin@lakehouse.invalid"


def _step(name: str, started: float) -> None:
    print(f"[superset-init] {name} done at {time.monotonic() - started:.1f} s", flush=True)


def write_duckdb_secret(secret_dir: str, files: dict[str, str]) -> None:
    """A PERSISTENT secret in ``secret_dir``: Superset's DuckDB connections (same ``secret_directory``) find it."""
    import duckdb

    endpoint = os.environ["LH_S3_ENDPOINT"]
    con = duckdb.connect(
        config={
            "secret_directory": secret_dir,
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        }
    )
    try:
        con.execute(f"LOAD '{files['httpfs']}'")
        con.execute(
            "CREATE OR REPLACE PERSISTENT SECRET lakehouse_s3 (TYPE s3, KEY_ID ?, SECRET ?, REGION ?, ENDPOINT ?, "
            "URL_STYLE 'path', USE_SSL ?)",
            [
                os.environ["LH_S3_ACCESS_KEY"],
                os.environ["LH_S3_SECRET_KEY"],
                os.environ["LH_S3_REGION"],
                endpoint.split("://", 1)[-1],
                endpoint.startswith("https://"),
            ],
        )
    finally:
        con.close()
    for path in Path(secret_dir).iterdir():
        path.chmod(0o600)


def import_assets(contents: dict[str, str]) -> None:
    """Import the bundle so that EVERY object matches the repository, not only the dashboard.

    The dashboard importer creates missing charts, datasets and databases but never updates
    existing ones (it imports them with ``overwrite=False``), so a changed chart in
    ``assets.py`` would not reach an instance that already has it. Each kind is imported by its
    own command with overwrite, dependencies first, then the dashboard. ``metadata.yaml`` without
    a ``type`` is accepted by every command."""
    import json

    from superset.commands.chart.importers.v1 import ImportChartsCommand
    from superset.commands.dashboard.importers.v1 import ImportDashboardsCommand
    from superset.commands.database.importers.v1 import ImportDatabasesCommand
    from superset.commands.dataset.importers.v1 import ImportDatasetsCommand

    metadata = {"metadata.yaml": json.dumps({"version": assets.VERSION})}
    steps = (
        (ImportDatabasesCommand, ("databases/",)),
        (ImportDatasetsCommand, ("databases/", "datasets/")),
        (ImportChartsCommand, ("databases/", "datasets/", "charts/")),
        (ImportDashboardsCommand, ("databases/", "datasets/", "charts/", "dashboards/")),
    )
    for command, prefixes in steps:
        part = {path: text for path, text in contents.items() if path.startswith(prefixes)}
        command({**metadata, **part}, overwrite=True).run()


def main() -> int:
    started = time.monotonic()
    db_path = Path(os.environ["LH_SUPERSET_METADATA_DB"])
    template = Path(os.environ["LH_SUPERSET_TEMPLATE"])
    fresh = not db_path.exists()
    from_template = fresh and template.exists()
    if from_template:
        shutil.copyfile(template, db_path)
        _step(f"metadata DB copied from template {template}", started)

    from flask import g
    from flask_migrate import upgrade
    from superset.app import create_app

    app = create_app()
    with app.app_context():
        from superset import appbuilder, security_manager

        upgrade()
        _step("db upgrade", started)
        if fresh and not from_template:
            appbuilder.add_permissions(update_perms=True)
            security_manager.sync_role_definitions()
            _step("init (permissions, roles)", started)
            template.parent.mkdir(parents=True, exist_ok=True)
            tmp = template.with_suffix(f".tmp{os.getpid()}")
            shutil.copyfile(db_path, tmp)
            tmp.replace(template)
            _step(f"template written to {template}", started)

        user_name = os.environ["LH_SUPERSET_USER"]
        password = os.environ["LH_SUPERSET_PASSWORD"]
        user = security_manager.find_user(username=user_name)
        if user is None:
            role = security_manager.find_role(security_manager.auth_role_admin)
            user = security_manager.add_user(user_name, "Lakehouse", "Admin", ADMIN_EMAIL, role, password=password)
            if not user:
                print(f"[superset-init] could not create user {user_name}", file=sys.stderr)
                return 1
            _step(f"admin user '{user_name}' created", started)
        else:
            security_manager.reset_password(user.id, password)
            _step(f"admin user '{user_name}' password set", started)

        secret_dir = os.environ["LH_SUPERSET_SECRET_DIR"]
        files = duckdb_gold.extension_files()
        write_duckdb_secret(secret_dir, files)
        _step("DuckDB S3 secret", started)

        roots = {layer: os.environ[f"LH_{layer.upper()}_ROOT"] for layer in ("bronze", "silver", "gold")}
        contents = assets.bundle(roots, files, secret_dir)
        g.user = security_manager.find_user(username=user_name)
        import_assets(contents)
        _step(f"assets imported ({len(contents)} files: dashboard '{assets.DASHBOARD_TITLE}')", started)
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    sys.exit(main())
