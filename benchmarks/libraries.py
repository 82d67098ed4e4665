"""Keyword-library figures against the running core platform.

    python -m benchmarks.libraries [--events 50000] [--reactions 20]

* KafkaLibrary ``Publish Events`` throughput for 1 KB JSON events (median of 3 batches).
* LakehouseLibrary ``Wait For Rows`` reaction: time from a Delta commit completing to the
  waiting keyword returning (p50/p95/max over N commits).

Needs the core profile up (``./lh up``) and the platform's contract in ``LH_CONTRACT_FILE``.
Uses its own topic and a ``gold._bench_*`` table (in the target's Gold bucket), both deleted afterwards.
Prints the figures and writes results/benchmarks/libraries.json.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import threading
import time
import uuid

import pyarrow as pa
from deltalake import write_deltalake

from benchmarks._lifecycle import load_contract, write_results
from contract.platform import PlatformContract
from contract.storage import delta_storage_options
from KafkaLibrary import KafkaLibrary
from LakehouseLibrary import LakehouseLibrary

# Not a contract topic, so it is used as named (no topic prefix).
BENCH_TOPIC = "_bench-publish"
# A table name no dbt model uses, in a layer the engine knows.
SCRATCH_LAYER = "gold"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def kafka_throughput(target: PlatformContract, events: int) -> dict:
    kafka = KafkaLibrary(target=target)
    kafka.create_topic(BENCH_TOPIC, partitions=4, exist_ok=True)
    cid = f"bench-{uuid.uuid4().hex[:8]}"
    pad = "x" * 900
    batch = [
        {"event_id": str(uuid.uuid4()), "correlation_id": cid, "seq": i, "driver_id": f"d{i % 50}", "payload": pad}
        for i in range(events)
    ]
    size = len(json.dumps(batch[0]).encode())
    rates = []
    for _ in range(3):
        start = time.perf_counter()
        kafka.publish_events(BENCH_TOPIC, batch, key_field="driver_id", correlation_id=cid)
        rates.append(events / (time.perf_counter() - start))
    kafka.delete_topic(BENCH_TOPIC)
    kafka.close()
    return {
        "events_per_batch": events,
        "event_bytes": size,
        "events_per_s": [round(r) for r in rates],
        "median_events_per_s": round(statistics.median(rates)),
        "goal_events_per_s": 20000,
    }


def wait_reaction(target: PlatformContract, samples: int) -> dict:
    name = f"_bench_wait_reaction_{uuid.uuid4().hex[:8]}"
    uri, table = target.table_uri(name, SCRATCH_LAYER), f"{SCRATCH_LAYER}.{name}"
    opts = delta_storage_options(target)
    schema = pa.schema([("correlation_id", pa.string()), ("n", pa.int64())])
    write_deltalake(uri, pa.table({"correlation_id": ["seed"], "n": [0]}, schema=schema), storage_options=opts)
    lake = LakehouseLibrary(target=target)
    reactions = []
    for i in range(samples):
        cid = f"react-{i}-{uuid.uuid4().hex[:6]}"
        done: dict[str, float] = {}

        def wait(cid: str = cid, done: dict[str, float] = done) -> None:
            lake.wait_for_rows(table, correlation_id=cid, count=1, timeout=30)
            done["t"] = time.perf_counter()

        waiter = threading.Thread(target=wait)
        waiter.start()
        time.sleep(random.uniform(0.3, 0.8))
        write_deltalake(
            uri, pa.table({"correlation_id": [cid], "n": [i]}, schema=schema), mode="append", storage_options=opts
        )
        committed = time.perf_counter()
        waiter.join(60)
        reactions.append(done["t"] - committed)
    deleted = lake.delete_objects_with_prefix(target.bucket(SCRATCH_LAYER), name + "/")
    lake.close()
    return {
        "samples": samples,
        "p50_s": round(percentile(reactions, 0.5), 3),
        "p95_s": round(percentile(reactions, 0.95), 3),
        "max_s": round(max(reactions), 3),
        "goal_s": 0.5,
        "scratch_objects_deleted": deleted,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--reactions", type=int, default=20)
    args = parser.parse_args()
    target = load_contract()
    figures = {
        "kafka_publish": kafka_throughput(target, args.events),
        "wait_for_rows_reaction": wait_reaction(target, args.reactions),
    }
    write_results("libraries", figures)
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
