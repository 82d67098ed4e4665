"""Several processes (as pabot workers do) bring the same profile up at once, on an isolated
instance: all succeed, and every service is started exactly once."""

from __future__ import annotations

import multiprocessing
import re

from lakehouse.runner.isolated import isolated_platform

WORKERS = 3


def _up(queue: multiprocessing.Queue) -> None:
    from lakehouse.runner.embedded import EmbeddedBackend

    try:
        report = EmbeddedBackend().up(["core"])
        queue.put(("ok", sorted(report.started)))
    except Exception as error:  # reported to the parent, which fails the test
        queue.put(("error", f"{type(error).__name__}: {error}"))


def test_concurrent_up_starts_each_service_once() -> None:
    with isolated_platform(port_offset=3000) as settings:
        ctx = multiprocessing.get_context("spawn")  # children read LH_* from the environment
        queue = ctx.Queue()
        procs = [ctx.Process(target=_up, args=(queue,)) for _ in range(WORKERS)]
        for p in procs:
            p.start()
        results = [queue.get(timeout=300) for _ in procs]
        for p in procs:
            p.join(30)
        errors = [r for kind, r in results if kind == "error"]
        assert not errors, errors
        started = [r for _, r in results if r]
        # Exactly one worker started the services; the others found them running.
        assert len(started) == 1, results
        assert set(started[0]) >= {"kafka", "schema-registry", "s3", "kafka-init", "s3-init", "schema-init"}
        log = (settings.logs_dir / "supervisord.log").read_text()
        for name in ("kafka", "schema-registry", "s3", "kafka-init"):
            spawns = re.findall(rf"spawned: '{re.escape(name)}' with pid", log)
            assert len(spawns) == 1, f"{name} spawned {len(spawns)} times"
