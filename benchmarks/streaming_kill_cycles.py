"""Hard-kill cycles of the Bronze streaming job mid-burst: nothing lost, nothing duplicated.

    python -m benchmarks.streaming_kill_cycles [--cycles 10] [--burst 3000]

Against the platform in ``LH_CONTRACT_FILE`` (core + data-platform up, embedded backend on this
machine). Each cycle:

1. publishes ``--burst`` valid events with a fresh correlation id, round-robin over the 8 Bronze
   topics, as fast as the producer can (in a background thread);
2. watches the job's ``/metrics.json`` every 10 ms until a micro-batch holding that correlation id
   is half written (some of its tables committed, some not) and SIGKILLs the job's process group
   at that moment: what the runner's ``kill`` verb does (``os.killpg`` of the pid the runner
   reports), done here directly because the CLI's own start-up (~1 s) would miss a batch that
   takes a fraction of a second. If no half-written batch is seen within ``--catch-s`` seconds,
   the kill lands mid-burst anyway and the cycle says so;
3. waits for the supervisor's restart policy to bring up a new, healthy process;
4. waits until every event id is in Bronze and the job has no lag on the topics, then counts each
   event id's rows in all Bronze tables and the DLQ: lost = ids with no row, duplicated = extra rows.

Prints one row per cycle and writes ``results/benchmarks/streaming_kill_cycles.json``.
Exit code 1 when any cycle lost or duplicated an event.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import requests

from benchmarks._lifecycle import LifecycleCli, load_contract, write_results
from benchmarks.streaming import SERVICE, Publisher, events_round_robin, load_average
from contract.layout import bronze_tables
from contract.platform import PlatformContract
from LakehouseLibrary.engine import DeltaQueryEngine

# Every Bronze table and the DLQ: an event that lands in the wrong place is not "lost" silently.
ROWS_SQL = " UNION ALL ".join(
    f"SELECT json_extract_string(_raw_value, '$.event_id') AS id FROM bronze.{name} WHERE correlation_id = ?"
    for name in bronze_tables()
)


def metrics(target: PlatformContract) -> dict[str, Any] | None:
    try:
        return requests.get(target.streaming_metrics_url + "/metrics.json", timeout=2).json()
    except (requests.RequestException, ValueError):
        return None


def healthy(target: PlatformContract) -> bool:
    try:
        return requests.get(target.streaming_metrics_url + "/health", timeout=2).status_code == 200
    except requests.RequestException:
        return False


def half_written(snapshot: dict[str, Any] | None, cid: str) -> dict[str, Any] | None:
    current = (snapshot or {}).get("current_batch")
    if not current or cid not in current.get("correlation_ids", []):
        return None
    committed, tables = set(current["committed"]), set(current["tables"])
    return current if committed and tables - committed else None


def row_counts(engine: DeltaQueryEngine, cid: str) -> Counter[str]:
    rows = engine.query(ROWS_SQL, [cid] * len(bronze_tables()))
    return Counter(r["id"] for r in rows)


def wait_for_restart(cli: LifecycleCli, target: PlatformContract, old_pid: int, timeout: float) -> float:
    started = time.time()
    while time.time() - started < timeout:
        try:
            status = cli.service_status(SERVICE)
        except Exception:
            status = None
        if status and status.pid and status.pid != old_pid and healthy(target):
            return time.time() - started
        time.sleep(0.5)
    raise TimeoutError(f"{SERVICE} was not restarted and healthy within {timeout:.0f} s after the kill")


def no_lag(target: PlatformContract) -> bool:
    snap = metrics(target)
    if not snap or snap.get("current_batch"):
        return False
    lag = snap.get("lag") or {}
    return bool(snap.get("latest_offsets")) and all(v == 0 for v in lag.values())


def cycle(
    n: int, cli: LifecycleCli, target: PlatformContract, engine: DeltaQueryEngine, burst: int, catch_s: float
) -> dict[str, Any]:
    cid = f"kill-{n}-{uuid.uuid4().hex[:10]}"
    events = events_round_robin(cid, burst)
    ids = {e["event_id"] for _, e in events}
    status = cli.service_status(SERVICE)
    if not status.pid:
        raise RuntimeError(f"{SERVICE} is not running: {status.state}")
    publisher = Publisher(target)

    def publish() -> None:
        for topic, event in events:
            publisher.publish(topic, event, cid)
        publisher.flush(60)

    sender = threading.Thread(target=publish, daemon=True)
    started = time.time()
    sender.start()
    moment: dict[str, Any] = {"kind": "mid-burst (no half-written batch seen)"}
    while time.time() - started < catch_s:
        current = half_written(metrics(target), cid)
        if current is not None:
            moment = {
                "kind": "mid-batch",
                "batch_id": current["batch_id"],
                "committed": len(current["committed"]),
                "tables": len(current["tables"]),
            }
            break
        time.sleep(0.01)
    os.killpg(status.pid, signal.SIGKILL)  # the runner's `kill` verb: SIGKILL to the service's process group
    killed_at = time.time()
    sender.join()
    restart_s = wait_for_restart(cli, target, status.pid, 300)
    deadline = time.time() + 300
    counts: Counter[str] = Counter()
    while time.time() < deadline:
        counts = row_counts(engine, cid)
        if ids <= counts.keys() and no_lag(target):
            break
        time.sleep(0.5)
    visible_s = time.time() - killed_at
    time.sleep(2)  # a replay that duplicates would land in the batch right after the restart
    counts = row_counts(engine, cid)
    lost = len(ids - counts.keys())
    duplicated = sum(c - 1 for i, c in counts.items() if c > 1)
    unexpected = sum(c for i, c in counts.items() if i not in ids)
    return {
        "cycle": n,
        "correlation_id": cid,
        "events": burst,
        "acked": len(publisher.acked),
        "kill": moment,
        "killed_after_s": round(killed_at - started, 2),
        "restart_to_healthy_s": round(restart_s, 1),
        "all_visible_after_kill_s": round(visible_s, 1),
        "rows": sum(counts.values()),
        "lost": lost,
        "duplicated": duplicated,
        "unexpected_ids": unexpected,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cycles", type=int, default=10)
    parser.add_argument("--burst", type=int, default=3000, help="events published per cycle")
    parser.add_argument("--catch-s", type=float, default=20.0, help="how long to look for a half-written batch")
    args = parser.parse_args()
    target = load_contract()
    cli = LifecycleCli.of(target)
    if not healthy(target):
        print(f"{SERVICE} is not healthy; start it with ./lh up --profile data-platform", file=sys.stderr)
        return 2
    rows: list[dict[str, Any]] = []
    print(f"{'cycle':>5} {'kill moment':<34} {'events':>6} {'rows':>6} {'lost':>4} {'dup':>4} {'restart s':>9} "
          f"{'visible s':>9}", flush=True)  # fmt: skip
    with DeltaQueryEngine(target) as engine:
        for n in range(1, args.cycles + 1):
            row = cycle(n, cli, target, engine, args.burst, args.catch_s)
            rows.append(row)
            k = row["kill"]
            moment = (
                f"batch {k['batch_id']}: {k['committed']}/{k['tables']} committed"
                if k["kind"] == "mid-batch"
                else k["kind"][:34]
            )
            print(
                f"{n:>5} {moment:<34} {row['events']:>6} {row['rows']:>6} {row['lost']:>4} {row['duplicated']:>4} "
                f"{row['restart_to_healthy_s']:>9} {row['all_visible_after_kill_s']:>9}",
                flush=True,
            )
    total_lost = sum(r["lost"] for r in rows)
    total_dup = sum(r["duplicated"] for r in rows)
    result = {
        "service": SERVICE,
        "finished": datetime.now(UTC).isoformat(timespec="seconds"),
        "load_average": load_average(),
        "cycles": rows,
        "mid_batch_kills": sum(r["kill"]["kind"] == "mid-batch" for r in rows),
        "lost_total": total_lost,
        "duplicated_total": total_dup,
        "ok": total_lost == 0 and total_dup == 0 and all(r["unexpected_ids"] == 0 for r in rows),
    }
    print(
        f"{len(rows)} cycles, {result['mid_batch_kills']} killed mid-batch: lost {total_lost}, duplicated {total_dup}"
    )
    print(f"wrote {write_results('streaming_kill_cycles', result)}")
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
