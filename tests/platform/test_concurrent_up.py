"""Several processes (as pabot workers do) bring the same profile up at once through the CLI, on an
isolated instance: all succeed, and every service is started exactly once."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

from lakehouse.runner.isolated import isolated_platform

REPO = Path(__file__).resolve().parents[2]
WORKERS = 3


def test_concurrent_up_starts_each_service_once() -> None:
    with isolated_platform(port_offset=3000) as settings:
        argv = [str(settings.platform_python), "-m", "lakehouse.runner", "up", "--profile", "core", "--json"]
        procs = [subprocess.Popen(argv, cwd=REPO, env=dict(os.environ), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for _ in range(WORKERS)]
        results = [p.communicate(timeout=300) for p in procs]
        errors = [err for p, (_, err) in zip(procs, results, strict=True) if p.returncode != 0]
        assert not errors, errors
        started = [sorted(json.loads(out)["started"]) for out, _ in results]
        # Exactly one worker started the services; the others found them running.
        assert len([s for s in started if s]) == 1, started
        assert set(max(started)) >= {"kafka", "schema-registry", "s3", "kafka-init", "s3-init", "schema-init"}
        log = (settings.logs_dir / "supervisord.log").read_text()
        for name in ("kafka", "schema-registry", "s3", "kafka-init"):
            spawns = re.findall(rf"spawned: '{re.escape(name)}' with pid", log)
            assert len(spawns) == 1, f"{name} spawned {len(spawns)} times"
